// Types of scripts/tour.mjs for the TypeScript that tests it.
export interface TourStep {
  title: string;
  commands: string;
}
export declare function tourBlocks(readme: string): string[][];
export declare function tourSteps(readme: string): TourStep[];
export declare function retarget(text: string, base: string, ports: Map<string, string>): string;
export declare function tourProgram(steps: TourStep[]): string;
export declare function parseArguments(argv: string[]): { base: string; ports: Map<string, string>; list: boolean };

import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../shared/config/settings';

const local = {
  HUB_ENVIRONMENT: 'development',
  DataStorage: 'UseDevelopmentStorage=true',
  BUS_MODE: 'storage-queues',
};

describe('settings', () => {
  it('applies safe defaults to a minimal local configuration', () => {
    const s = parseSettings(local);
    expect(s.LOCAL_HTTP_PORT).toBe(7071);
    expect(s.QUEUE_MAX_DELIVERY_COUNT).toBe(5);
    expect(s.LOCAL_TIME_SCALE).toBe(1);
  });

  it('refuses to start with a message naming each bad setting', () => {
    let error: unknown;
    try {
      parseSettings({ ...local, LOCAL_HTTP_PORT: 'seventy', BUS_MODE: 'carrier-pigeon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const message = (error as Error).message;
    expect(message).toContain('LOCAL_HTTP_PORT');
    expect(message).toContain('BUS_MODE');
    expect((error as SettingsError).problems.map((p) => p.setting).sort()).toEqual(['BUS_MODE', 'LOCAL_HTTP_PORT']);
  });

  it('requires a Service Bus namespace when the bus is Service Bus', () => {
    expect(() => parseSettings({ ...local, BUS_MODE: 'servicebus' })).toThrow(
      /ServiceBusConnection__fullyQualifiedNamespace/,
    );
  });

  it('refuses the bootstrap key in production', () => {
    expect(() =>
      parseSettings({
        ...local,
        HUB_ENVIRONMENT: 'production',
        BOOTSTRAP_API_KEY: 'x'.repeat(40),
      }),
    ).toThrow(/BOOTSTRAP_API_KEY/);
  });
});

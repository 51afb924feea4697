/**
 * The queue port and its adapters (docs/design.md §3.1, §3.2): capabilities send through `processBus()` and
 * register stage handlers with `registerQueueHandler`; see docs/bus.md.
 */
export * from './port';
export { type Bus, busFromSettings, processBus, setProcessBus, storageQueueBusFromSettings } from './process-bus';
export * from './retry';
export { ServiceBusBus } from './service-bus-bus';
export { StorageQueueBus, type StorageQueueBusOptions } from './storage-queue-bus';
export { registerQueueHandler } from './trigger';

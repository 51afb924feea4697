import { type Settings, settings } from '../config/settings';
import { azureCredential, type StorageAccount, storageAccountFromSettings } from '../storage/connection';
import type { BacklogReader, BusSender, DeadLetterForwarder } from './port';
import { ServiceBusBus } from './service-bus-bus';
import { StorageQueueBus } from './storage-queue-bus';

/** The sender every capability uses; which adapter is a deployment choice (BUS_MODE). */
export type Bus = BusSender & DeadLetterForwarder & BacklogReader;

export function storageQueueBusFromSettings(s: Settings, account: StorageAccount): StorageQueueBus {
  return new StorageQueueBus(account, {
    maxDeliveryCount: s.QUEUE_MAX_DELIVERY_COUNT,
    lockDurationSeconds: s.QUEUE_LOCK_DURATION_SECONDS,
    timeScale: s.LOCAL_TIME_SCALE,
    ...(s.LOCAL_QUEUE_PREFIX ? { queuePrefix: s.LOCAL_QUEUE_PREFIX } : {}),
  });
}

export function busFromSettings(s: Settings, account: StorageAccount): Bus {
  if (s.BUS_MODE === 'storage-queues') return storageQueueBusFromSettings(s, account);
  if (!s.ServiceBusConnection__fullyQualifiedNamespace) {
    throw new Error('ServiceBusConnection__fullyQualifiedNamespace is required when BUS_MODE=servicebus');
  }
  return new ServiceBusBus({
    fullyQualifiedNamespace: s.ServiceBusConnection__fullyQualifiedNamespace,
    credential: azureCredential(s),
  });
}

let current: Bus | undefined;

/**
 * The process bus, built from the settings on first use (senders and created-queue caches live as
 * long as the process, so build it once).
 */
export function processBus(): Bus {
  if (!current) {
    const s = settings();
    current = busFromSettings(s, storageAccountFromSettings(s));
  }
  return current;
}

/** The local host and tests install the bus they built (one StorageQueueBus for sends and consumers). */
export function setProcessBus(next: Bus | undefined): void {
  current = next;
}

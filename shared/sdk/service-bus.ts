import type * as Sdk from '@azure/service-bus';
import { lazyClass, loadOnce } from './load-on-first-use';

/** @azure/service-bus (~100 ms to load, AMQP included), loaded when the first Service Bus client is built. */
const sdk = loadOnce((): typeof Sdk => require('@azure/service-bus'));

export type ServiceBusClient = Sdk.ServiceBusClient;
export const ServiceBusClient = lazyClass(() => sdk().ServiceBusClient);

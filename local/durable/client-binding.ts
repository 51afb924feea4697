/**
 * The value the host puts into a function's `durableClient` input binding
 * (`context.extraInputs.set(binding.name, clientBindingData())`). durable-functions' getClient
 * accepts it when `taskHubName`, `creationUrls` and `managementUrls` are present, and with
 * `rpcBaseUrl` set every DurableClient call goes to `{rpcBaseUrl}orchestrators/...` and
 * `{rpcBaseUrl}instances/...`. The webhook URLs (createCheckStatusResponse) point at the same
 * handler, which serves both shapes, as the extension's HTTP API does.
 */
export interface ClientBindingData {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; waitOnNewInstancePostUri: string };
  managementUrls: {
    id: string;
    statusQueryGetUri: string;
    sendEventPostUri: string;
    terminatePostUri: string;
    rewindPostUri: string;
    purgeHistoryDeleteUri: string;
    restartPostUri: string;
    suspendPostUri: string;
    resumePostUri: string;
  };
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
}

/** The placeholder the client replaces with an instance id in the management URLs. */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

export function clientBindingData(rpcBaseUrl: string, hubName: string): ClientBindingData {
  const base = rpcBaseUrl.endsWith('/') ? rpcBaseUrl : `${rpcBaseUrl}/`;
  const query = `taskHub=${encodeURIComponent(hubName)}&connection=Storage`;
  const instance = `${base}instances/${INSTANCE_ID_PLACEHOLDER}`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?${query}`,
      waitOnNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: {
      id: INSTANCE_ID_PLACEHOLDER,
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base.slice(0, -1),
    requiredQueryStringParameters: query,
    rpcBaseUrl: base,
    httpBaseUrl: base.slice(0, -1),
  };
}

/** Raw config documents for tests (file form, before validation). */

export const ADDR = {
  proxy: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  homeToken: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  homeBreaker: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  verifier: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  remoteToken: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
  remoteBreaker: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
} as const;

/** Secrets planted in test configs; tests assert they never appear in errors or redacted output. */
export const SECRETS = {
  apiKey: "PlantedApiKeyQwErTy0123456789",
  wsPassword: "PlantedWsPassw0rd",
  saslPassword: "PlantedSaslPassword77",
} as const;

/** A valid two-chain, one-asset config (env signer, in-process bus). */
export function validConfigInput(): Record<string, unknown> {
  return {
    chains: [
      {
        name: "home",
        id: 31337,
        rpc: {
          http: `https://rpc.example.com/v2/${SECRETS.apiKey}`,
          ws: `wss://keeper:${SECRETS.wsPassword}@ws.example.com/ws`,
        },
      },
      { name: "remote", id: 31338, rpc: { http: "http://127.0.0.1:8546" } },
    ],
    assets: [
      {
        id: "dusd",
        symbol: "dUSD",
        feed: { chain: "home", proxy: ADDR.proxy },
        heartbeatSeconds: 86_400,
        deployments: [
          {
            chain: "home",
            token: ADDR.homeToken,
            breaker: ADDR.homeBreaker,
            verifier: ADDR.verifier,
            deployedAtBlock: 5,
          },
          { chain: "remote", token: ADDR.remoteToken, breaker: ADDR.remoteBreaker },
        ],
      },
    ],
    signer: { type: "env" },
  };
}

/** validConfigInput with a Kafka bus using SASL (a sensitive password). */
export function kafkaConfigInput(): Record<string, unknown> {
  return {
    ...validConfigInput(),
    bus: {
      type: "kafka",
      brokers: ["kafka-1:9092"],
      ssl: true,
      sasl: { mechanism: "scram-sha-256", username: "keeper", password: SECRETS.saslPassword },
    },
  };
}

/**
 * A copy of `base` with dotted paths set (`"chains.0.rpc.ws"`, numeric segments index lists);
 * `undefined` deletes the key.
 */
export function configWith(
  patch: Readonly<Record<string, unknown>>,
  base: Record<string, unknown> = validConfigInput(),
): Record<string, unknown> {
  const doc = structuredClone(base);
  for (const [path, value] of Object.entries(patch)) {
    const segments = path.split(".");
    let node = doc as Record<string, unknown>;
    for (const segment of segments.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    const last = segments.at(-1) as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return doc;
}

import { SignerUnavailableError } from "../../internal/errors.ts";
import type { CustodyProviderConfig } from "./config.ts";
import { createFileCustodyProvider } from "./fileProvider.ts";
import { createHttpCustodyProvider } from "./httpProvider.ts";
import type { CustodyProvider } from "./types.ts";

/**
 * The provider `custody.provider` asks for. The HTTP provider's token is read from the environment
 * variable `tokenEnv` names (an unset or empty variable is an error naming the variable, never a value).
 */
export function createCustodyProvider(
  config: CustodyProviderConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CustodyProvider {
  switch (config.type) {
    case "file":
      return createFileCustodyProvider({ path: config.path });
    case "http": {
      let token: string | undefined;
      if (config.tokenEnv !== undefined) {
        token = env[config.tokenEnv]?.trim();
        if (!token) {
          throw new SignerUnavailableError({
            reason: `the custody provider token variable ${config.tokenEnv} is not set or empty`,
            envVar: config.tokenEnv,
          });
        }
      }
      return createHttpCustodyProvider({
        url: config.url,
        token,
        timeoutMs: config.timeoutMs,
        maxAttempts: config.maxAttempts,
        backoffBaseMs: config.backoffBaseMs,
        backoffMaxMs: config.backoffMaxMs,
        maxResponseBytes: config.maxResponseBytes,
      });
    }
    default:
      return config satisfies never;
  }
}

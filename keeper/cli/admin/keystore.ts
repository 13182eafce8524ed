/** `reserve-keeper admin keystore new|import`: encrypted Web3 v3 keystores for admins and submitters. */
import {
  createKeystoreFile,
  IMPORT_KEY_ENV,
  processIo,
  readPrivateKey,
  readSecret,
  type SecretIo,
} from "../../admin/secrets.ts";
import { EXIT, parseOptions, required, UsageError } from "../usage.ts";
import { adminLogger, json, out, PASSWORD_OPTION, passwordEnv } from "./common.ts";

export const KEYSTORE_USAGE = `reserve-keeper admin keystore <new|import> --out f [options]

  new     --out f [--light-kdf] [--force] [--json] [--password-env VAR]
          a fresh random key, encrypted (scrypt); prints the address only
  import  --out f [--key-env VAR] [--light-kdf] [--force] [--json] [--password-env VAR]
          encrypts an existing key read from $RESERVE_KEEPER_IMPORT_KEY (or --key-env VAR), else from a
          prompt with echo off. Never pass a key on the command line.

The password comes from $RESERVE_KEEPER_KEYSTORE_PASSWORD (or --password-env VAR), else from a prompt
(asked twice); at least 8 characters. Files are written with mode 0600 and never overwritten without
--force. --light-kdf uses geth's light scrypt parameters (n=4096): for tests only.`;

async function create(argv: string[], mode: "new" | "import", io: SecretIo): Promise<number> {
  const { values } = parseOptions(argv, {
    out: { type: "string" },
    "light-kdf": { type: "boolean" },
    force: { type: "boolean" },
    json: { type: "boolean" },
    ...PASSWORD_OPTION,
    ...(mode === "import" ? { "key-env": { type: "string" } } : {}),
  } as const);
  const path = required(values, "out");
  const keyEnv = (values as Record<string, unknown>)["key-env"];
  if (keyEnv !== undefined && (typeof keyEnv !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv))) {
    throw new UsageError("--key-env must name an environment variable (letters, digits, '_').");
  }
  const privateKey =
    mode === "import"
      ? await readPrivateKey({ envVar: (keyEnv as string | undefined) ?? IMPORT_KEY_ENV, io })
      : undefined;
  const password = await readSecret({
    what: `password for the new keystore ${path}`,
    envVar: passwordEnv(values),
    confirm: true,
    io,
  });
  const { address } = await createKeystoreFile({
    out: path,
    privateKey,
    password,
    light: values["light-kdf"] === true,
    force: values.force === true,
  });
  adminLogger()
    .child({ component: "admin" })
    .info({ action: `keystore.${mode}`, address, file: path }, "keystore written");
  if (values.json) out(json({ ok: true, address, path }));
  else out(`wrote ${path} for ${address}`);
  return EXIT.ok;
}

/** `reserve-keeper admin keystore …` */
export async function runKeystore(argv: string[], io: SecretIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "new":
    case "import":
      return create(rest, command, io);
    case undefined:
    case "help":
    case "--help":
      out(KEYSTORE_USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`Unknown admin keystore command "${command}".`);
  }
}

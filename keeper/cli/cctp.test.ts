/** `reserve-keeper cctp decode|verify` run as a process on the real vectors (test/fixtures/cctp/vectors.json). */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, runCli } from "../../test/helpers/cli.ts";
import { ATTESTER_SETS, V1A_ATTESTATION, V2C_PAIR, vector } from "../cctp/testVectors.ts";

const dir = mkdtempSync(join(tmpdir(), "cctp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Like runCli, with `input` on standard input. */
function runCliWithStdin(
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin", "reserve-keeper.js"), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("reserve-keeper cctp decode", () => {
  it("--json prints every field of a V2 burn, its messageHash and transferKey", async () => {
    const { attested, source } = V2C_PAIR;
    const r = await runCli(["cctp", "decode", attested.hex, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      cctpVersion: 2,
      length: 408,
      messageHash: attested.keccak256,
      transferKey: source.keccak256,
      header: {
        version: 1,
        sourceDomain: 6,
        destinationDomain: 26,
        nonce: attested.message.nonce,
        sender: { bytes32: attested.message.sender, address: "0x8FE6B999Dc680CcFDD5Bf7EB0974218be2542DAA" },
        minFinalityThreshold: 2000,
        finalityThresholdExecuted: 2000,
      },
      body: {
        type: "burn",
        version: 1,
        amount: "1018077",
        maxFee: "18077",
        feeExecuted: "18077",
        expirationBlock: "0",
        hookData: attested.burn.hookData,
        mintRecipient: { bytes32: attested.burn.mintRecipient },
      },
      messageBody: attested.message.messageBody,
    });
  });

  it("prints an aligned table: integers, checksummed addresses with their bytes32, raw bytes32 for non-EVM keys", async () => {
    const v = vector("V1-B");
    const r = await runCli(["cctp", "decode", v.hex]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const row = (name: string) =>
      lines
        .find((l) => l.startsWith(`${name} `))
        ?.slice(name.length)
        .trim();
    expect(row("message")).toBe("CCTP V1, 248 bytes, USDC burn body");
    expect(row("messageHash")).toBe(v.keccak256);
    expect(row("nonce")).toBe("103618");
    expect(row("messageBody.amount")).toBe("45514224");
    expect(row("sender")).toBe(v.message.sender); // a Solana program id: no address
    expect(row("recipient")).toBe(
      `0x19330d10D9Cc8751218eaf51E8885D058642E08A  bytes32 ${v.message.recipient}`,
    );
    expect(row("transferKey")).toBeUndefined();
    // One value column: every value starts at the same offset.
    const starts = new Set(lines.map((l) => l.search(/ {2}\S/) + 2));
    expect(starts.size).toBe(1);
  });

  it("reads the hex from @file and from stdin (-)", async () => {
    const v = vector("V2-E");
    const file = join(dir, "v2e.hex");
    writeFileSync(file, `${v.hex.slice(0, 300)}\n${v.hex.slice(300)}\n`);
    const fromFile = await runCli(["cctp", "decode", `@${file}`, "--json"]);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout).body.expirationBlock).toBe("22875470");
    const fromStdin = await runCliWithStdin(["cctp", "decode", "-", "--json"], `${v.hex}\n`);
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout).messageHash).toBe(v.keccak256);
  });

  it("exits 1 naming the field for a malformed message (V1 burn body with a trailing byte)", async () => {
    const r = await runCli(["cctp", "decode", `${vector("V1-A").hex}00`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: CCTP messageBody at byte 248 is malformed");
  });

  it("exits 2 for a missing argument or an argument that is not hex", async () => {
    const missing = await runCli(["cctp", "decode"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Missing the message argument");
    const odd = await runCli(["cctp", "decode", "0x123"]);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain("<hex> is not hex");
  });
});

describe("reserve-keeper cctp verify", () => {
  const { message, attestation, signers } = V1A_ATTESTATION;
  const attesters = ATTESTER_SETS.circleV1.attesters.join(",");

  it("exits 0 and prints the recovered signers for the real V1-A attestation", async () => {
    const r = await runCli([
      "cctp",
      "verify",
      "--message",
      message,
      "--attestation",
      attestation,
      "--attesters",
      attesters,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid +yes$/m);
    expect(r.stdout).toMatch(new RegExp(`^signer 0 +${signers[0]}$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^signer 1 +${signers[1]}$`, "m"));
    const json = await runCli([
      "cctp",
      "verify",
      "--message",
      message,
      "--attestation",
      attestation,
      "--attesters",
      "circle-v1",
      "--json",
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, signers, threshold: 2 });
  });

  it("exits 1 with the reason code and a sentence for a tampered message", async () => {
    const tampered = `${message.slice(0, -2)}${message.endsWith("00") ? "01" : "00"}`;
    const r = await runCli([
      "cctp",
      "verify",
      "--message",
      tampered,
      "--attestation",
      attestation,
      "--attesters",
      attesters,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: NOT_ATTESTER: Signature 0 recovers 0x[0-9a-fA-F]{40}, which is not an enabled attester\.$/m,
    );
    expect(r.stdout).toMatch(/^reason +NOT_ATTESTER$/m);
  });

  it("exits 1 with SIGNER_ORDER for swapped signatures (--json)", async () => {
    const swapped = `0x${attestation.slice(132)}${attestation.slice(2, 132)}`;
    const r = await runCli([
      "cctp",
      "verify",
      "--message",
      message,
      "--attestation",
      swapped,
      "--attesters",
      attesters,
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: false,
      reason: "SIGNER_ORDER",
      index: 1,
      signers: [signers[1]],
    });
  });

  it("exits 2 naming a missing or ill-formed option", async () => {
    const missing = await runCli(["cctp", "verify", "--message", message, "--attesters", attesters]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Missing required option --attestation.");
    const threshold = await runCli([
      "cctp",
      "verify",
      "--message",
      message,
      "--attestation",
      attestation,
      "--attesters",
      attesters,
      "--threshold",
      "3",
    ]);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain("--threshold must be a whole number from 1 to 2");
    const badAttester = await runCli([
      "cctp",
      "verify",
      "--message",
      message,
      "--attestation",
      attestation,
      "--attesters",
      "0x1234",
    ]);
    expect(badAttester.code).toBe(2);
    expect(badAttester.stderr).toContain('--attesters: "0x1234" is not an EVM address');
    const unknown = await runCli(["cctp", "frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown cctp command "frobnicate".');
  });
});

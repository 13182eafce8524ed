export { freePort } from "../../deploy/devnet/ports.ts";

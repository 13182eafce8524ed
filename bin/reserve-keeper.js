#!/usr/bin/env node
// Entry point of the `reserve-keeper` command. Node >= 22.18 runs the TypeScript sources directly
// (type stripping); see README.md for the Node 24 bootstrap on older machines.
import { main } from "../keeper/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));

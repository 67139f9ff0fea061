// Entry for running the CLI from the TypeScript sources (`node --import tsx src/cli/run.ts ...`).
import { main } from './main.js';

process.exitCode = await main(process.argv);

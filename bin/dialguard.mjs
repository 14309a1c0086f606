#!/usr/bin/env node
// Launcher for the dialguard host CLI: runs src/cli.ts from source through tsx
// (no build step). It runs in this same process, so argv (process.argv.slice(2)),
// stdin/stdout/stderr, signals and the exit code (process.exit / process.exitCode,
// 1 on an uncaught error) are those of the CLI itself.
import { register } from "tsx/esm/api"

register()
await import(new URL("../src/cli.ts", import.meta.url).href)

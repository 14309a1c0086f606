#!/usr/bin/env node
// Launcher for the dialguard host CLI: runs the compiled CLI,
// dist/dialguard.mjs (scripts/build-cli.mjs; npm ci builds it). When it is
// missing or a source file it was built from has changed since, it is
// rebuilt first (~0.3 s), so this never runs stale code. It runs in this
// same process, so argv (process.argv.slice(2)), stdin/stdout/stderr,
// signals and the exit code (process.exit / process.exitCode, 1 on an
// uncaught error) are those of the CLI itself.
import { pathToFileURL } from "node:url"
import { buildCli, BUNDLE, bundleIsCurrent } from "../scripts/build-cli.mjs"

if (!bundleIsCurrent())
    try {
        await buildCli()
    } catch (e) {
        // esbuild has printed the source errors, if that is what it was
        process.stderr.write(
            `dialguard: cannot build the CLI from src/ into dist/: ${e.message.split("\n")[0].replace(/:$/, "")}\n`
        )
        process.exit(70)
    }
// the stack traces DIALGUARD_DEBUG prints then name the src/ lines
if (process.env["DIALGUARD_DEBUG"]) process.setSourceMapsEnabled(true)
await import(pathToFileURL(BUNDLE).href)

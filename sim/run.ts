// Runs scenario files one after the other and sums up. Used by `dialguard sim run`; also
// runnable alone: npx tsx sim/run.ts [--firmware F] [--verbose] SCENARIO...

import { existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { SimError } from "../src/board/errors"
import { killAllChildren } from "./proc"
import { RunOptions, ScenarioResult, runScenario } from "./runner"
import { parseScenario } from "./scenario"

/** Scenario files named, directories expanded to their *.json / *.yaml files. */
export function expandScenarioPaths(paths: string[]): string[] {
    const files: string[] = []
    for (const p of paths) {
        const abs = resolve(p)
        if (!existsSync(abs))
            throw new SimError(`no such scenario file or directory: ${p}`)
        if (statSync(abs).isDirectory()) {
            const inDir = readdirSync(abs)
                .filter(f => /\.(json|ya?ml)$/i.test(f))
                .sort()
                .map(f => join(abs, f))
            if (!inDir.length)
                throw new SimError(`no scenario files (*.json, *.yaml) in ${p}`)
            files.push(...inDir)
        } else files.push(abs)
    }
    return files
}

/**
 * Parses every file first (a typo fails fast), then runs them in order.
 * Resolves to 0 when every expectation of every scenario held, else 1.
 */
export async function runScenarioFiles(
    paths: string[],
    opts: RunOptions = {}
): Promise<{ code: number; results: ScenarioResult[] }> {
    const out = opts.out ?? ((l: string) => process.stdout.write(l + "\n"))
    const scenarios = expandScenarioPaths(paths).map(parseScenario)
    const results: ScenarioResult[] = []
    for (const sc of scenarios)
        results.push(await runScenario(sc, { ...opts, out }))
    const failed = results.filter(r => !r.ok)
    if (results.length > 1 || failed.length) {
        out("")
        for (const r of failed) {
            out(`failed: ${r.name} (${r.file})`)
            for (const o of r.outcomes.filter(o => !o.ok))
                out(`  step ${o.step} ${o.kind}: ${o.message}`)
            if (r.error) out(`  error: ${r.error}`)
            for (const p of r.problems) out(`  problem: ${p}`)
        }
    }
    out(
        `scenarios: ${results.length - failed.length} passed, ${failed.length} failed`
    )
    return { code: failed.length ? 1 : 0, results }
}

async function main(argv: string[]): Promise<number> {
    const opts: RunOptions = {}
    const files: string[] = []
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        if (a === "--firmware") opts.firmware = argv[++i]
        else if (a === "--verbose" || a === "-v") opts.verbose = true
        else if (a === "--keep") opts.keepWorkDir = true
        else if (a.startsWith("-")) throw new SimError(`unknown option ${a}`)
        else files.push(a)
    }
    if (!files.length)
        throw new SimError(
            "usage: sim/run.ts [--firmware F] [--verbose] SCENARIO..."
        )
    return (await runScenarioFiles(files, opts)).code
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    main(process.argv.slice(2))
        .then(code => (process.exitCode = code))
        .catch(e => {
            killAllChildren()
            if (!(e instanceof SimError)) throw e
            process.stderr.write(`sim: ${e.message}\n`)
            for (const d of e.details) process.stderr.write(`  ${d}\n`)
            process.exitCode = 1
        })
}

// Start-up of the dialguard CLI next to a bare Node start (`npm run bench`):
// `node -e 0`, `dialguard --help` and a `dialguard decide`, each run RUNS
// times, interleaved (a change of load hits all three alike), timed from
// spawn to exit.
import { spawnSync } from "node:child_process"
import { performance } from "node:perf_hooks"
import { Spread, spread } from "./fleetBench"

const RUNS = 20

const COMMANDS = {
    node: ["-e", "0"],
    help: ["bin/dialguard.mjs", "--help"],
    decide: [
        "bin/dialguard.mjs",
        "decide",
        "--policy",
        "sim/policies/hq.policy.json",
        "--handset",
        "8001",
        "01012345678",
    ],
}
type Name = keyof typeof COMMANDS

export interface StartupFigures {
    runs: number
    nodeMs: Spread
    helpMs: Spread
    decideMs: Spread
    /** Median `dialguard --help` / median `node -e 0`. */
    helpRatio: number
    decideRatio: number
}

function timeRun(args: string[], cwd: string): number {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, args, { cwd, stdio: "ignore" })
    if (r.status !== 0)
        throw new Error(`node ${args.join(" ")} exited with ${r.status}`)
    return Math.round((performance.now() - t0) * 10) / 10
}

/** The figures for the project in `cwd` (default: this one). */
export function startupFigures(cwd = process.cwd()): StartupFigures {
    const names = Object.keys(COMMANDS) as Name[]
    // once first: dist/ is rebuilt if stale, the files are in the page cache
    for (const n of names) timeRun(COMMANDS[n], cwd)
    const ms: Record<Name, number[]> = { node: [], help: [], decide: [] }
    for (let i = 0; i < RUNS; i++)
        for (const n of names) ms[n].push(timeRun(COMMANDS[n], cwd))
    const [nodeMs, helpMs, decideMs] = names.map(n => spread(ms[n]))
    const ratio = (s: Spread) =>
        Math.round((s.medianMs / nodeMs.medianMs) * 10) / 10
    return {
        runs: RUNS,
        nodeMs,
        helpMs,
        decideMs,
        helpRatio: ratio(helpMs),
        decideRatio: ratio(decideMs),
    }
}

if (process.argv[1]?.endsWith("startupBench.ts"))
    console.log(JSON.stringify(startupFigures(process.argv[2]), null, 2))

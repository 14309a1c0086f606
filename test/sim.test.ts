// The simulator harness end to end: every example scenario in
// sim/scenarios/ runs through the real runner (`dialguard sim run`) against
// the firmware in the DeviceScript VM, SIM_CONCURRENCY of them at a time
// (each simulator has a bus of its own). Slow (a VM per scenario, ~10-40 s
// each); DIALGUARD_SKIP_SIM=1 skips them,
// DIALGUARD_SIM_FIRMWARE=FILE runs the example scenarios on another
// firmware entry (relative to the project root).

import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, test, vi } from "vitest"

const ROOT = join(import.meta.dirname, "..")
const SCENARIOS = join(ROOT, "sim", "scenarios")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
/** Another firmware entry for the example scenarios (e.g. a work-in-progress copy). */
const firmware = process.env["DIALGUARD_SIM_FIRMWARE"]
/**
 * Scenarios running at once (each a `dialguard sim run` with its own VM).
 * The VMs mostly wait on timers; more than 3 on 2 cores starts to slow the
 * real-time scenarios down (see sim/README.md, "Running side by side").
 */
const SIM_CONCURRENCY = Number(process.env["DIALGUARD_SIM_CONCURRENCY"] ?? 3)
/** A scenario may take this long, start-up included. */
const SCENARIO_TIMEOUT_MS = 180_000

interface Run {
    code: number | null
    out: string
}

/**
 * Runs `dialguard sim run ARGS` under sim/guard.mjs (its own process group,
 * killed with everything it started if this test process goes away) and
 * kills it after `timeoutMs`.
 */
function simRun(args: string[], timeoutMs: number): Promise<Run> {
    return new Promise(resolve => {
        const p = spawn(
            process.execPath,
            [
                join(ROOT, "sim", "guard.mjs"),
                process.execPath,
                join(ROOT, "bin", "dialguard.mjs"),
                "sim",
                "run",
                ...args,
            ],
            { cwd: ROOT, detached: true, stdio: ["pipe", "pipe", "pipe"] }
        )
        let out = ""
        p.stdout.on("data", d => (out += d))
        p.stderr.on("data", d => (out += d))
        const timer = setTimeout(() => {
            out += `\n(test: killed after ${timeoutMs / 1000} s)\n`
            p.kill("SIGTERM")
        }, timeoutMs)
        p.on("exit", code => {
            clearTimeout(timer)
            resolve({ code, out })
        })
    })
}

const scenarios = readdirSync(SCENARIOS)
    .filter(f => /\.(json|ya?ml)$/.test(f))
    .sort()

// (maxConcurrency bounds a describe.concurrent group of this file)
vi.setConfig({ maxConcurrency: SIM_CONCURRENCY })
const suite = skip ? describe.skip : describe.concurrent

suite("simulator", () => {
    test(
        "two simulators at once: the harness self-test passes, a failed expectation fails the run and is named",
        async () => {
            const echo = join(
                ROOT,
                "sim",
                "testfw",
                "scenarios",
                "echo-plumbing.json"
            )
            const failing = join(ROOT, "test", "fixtures", "sim-fail.json")
            const [ok, bad] = await Promise.all([
                simRun([echo], SCENARIO_TIMEOUT_MS),
                simRun([failing], SCENARIO_TIMEOUT_MS),
            ])
            expect(ok.out).toMatch(/^PASS /m)
            expect(ok.code, ok.out).toBe(0)
            expect(bad.code, bad.out).toBe(1)
            expect(bad.out).toMatch(
                /ok {3}step 2 expectDialled: 8001 dialled 8101/
            )
            expect(bad.out).toMatch(
                /FAIL step 5 expectDialled: 8001 should have dialled 16812345 within 2\.0 s; dialled nothing; tones: .*Unobtainable/
            )
            expect(bad.out).toMatch(/^scenarios: 0 passed, 1 failed$/m)
            // each on a bus of its own: neither saw the other's VM
            expect(ok.out + bad.out).not.toMatch(/another DeviceScript VM/)
        },
        SCENARIO_TIMEOUT_MS + 10_000
    )

    for (const f of scenarios)
        test(
            `scenario ${f}`,
            async () => {
                const fw = firmware ? ["--firmware", firmware] : []
                const r = await simRun(
                    [...fw, join(SCENARIOS, f)],
                    SCENARIO_TIMEOUT_MS
                )
                expect(r.code, r.out).toBe(0)
            },
            SCENARIO_TIMEOUT_MS + 10_000
        )
})

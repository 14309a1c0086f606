// The simulator harness end to end: every example scenario in
// sim/scenarios/ runs through the real runner (`dialguard sim run`) against
// the firmware in the DeviceScript VM, one after the other (the Jacdac bus
// ports 8081-8083 are fixed: one simulator per machine). Slow (a VM per
// scenario, ~10-40 s each); DIALGUARD_SKIP_SIM=1 skips them,
// DIALGUARD_SIM_FIRMWARE=FILE runs the example scenarios on another
// firmware entry (relative to the project root).

import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, test } from "vitest"

const ROOT = join(import.meta.dirname, "..")
const SCENARIOS = join(ROOT, "sim", "scenarios")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
/** Another firmware entry for the example scenarios (e.g. a work-in-progress copy). */
const firmware = process.env["DIALGUARD_SIM_FIRMWARE"]
/** A scenario may take this long, start-up included. */
const SCENARIO_TIMEOUT_MS = 180_000
/** Another simulator (a developer's devtools, a concurrent run) may hold the ports for a while. */
const PORT_WAIT_S = "120"

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
                "--wait-ports",
                PORT_WAIT_S,
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

const suite = skip ? describe.skip : describe.sequential

suite("simulator", () => {
    test(
        "harness self-test on the stand-in firmware (sim/testfw/echo.ts)",
        async () => {
            const file = join(
                ROOT,
                "sim",
                "testfw",
                "scenarios",
                "echo-plumbing.json"
            )
            const r = await simRun([file], SCENARIO_TIMEOUT_MS)
            expect(r.out).toMatch(/^PASS /m)
            expect(r.code, r.out).toBe(0)
        },
        SCENARIO_TIMEOUT_MS + 10_000
    )

    test(
        "a failed expectation fails the run and is named",
        async () => {
            const file = join(ROOT, "test", "fixtures", "sim-fail.json")
            const r = await simRun([file], SCENARIO_TIMEOUT_MS)
            expect(r.code, r.out).toBe(1)
            expect(r.out).toMatch(
                /ok {3}step 2 expectDialled: 8001 dialled 8101/
            )
            expect(r.out).toMatch(
                /FAIL step 5 expectDialled: 8001 should have dialled 16812345 within 2\.0 s; dialled nothing; tones: .*Unobtainable/
            )
            expect(r.out).toMatch(/^scenarios: 0 passed, 1 failed$/m)
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

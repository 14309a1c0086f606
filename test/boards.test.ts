// Several simulated boards in one process: two SimSessions of the REAL
// firmware (devs/main.ts), one shared build, each with its own bus, VM and
// flash, the same extensions on both. Each enforces its own policy; the REAL
// CLI provisions one of them through its bus URL and the other does not
// notice; a power cycle of one leaves the other running. (Two simulator
// processes at once: test/sim.test.ts.) And a simulator killed with SIGKILL
// leaves nothing behind. ~60 s; DIALGUARD_SKIP_SIM=1 skips it.

import { execFileSync, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { FirmwareBuild } from "../sim/build"
import { SimSession } from "../sim/session"
import { dialguard, handsets, ROOT, sleep } from "./syncHarness"

const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const OUT = join(ROOT, ".devicescript", "sim")
const HQ_FILE = join(ROOT, "sim", "policies", "hq.policy.json")
const PORTS = ["8001", "8101"]

let build: FirmwareBuild
let a: SimSession
let b: SimSession
const onA = handsets(() => a)
const onB = handsets(() => b)

/** Read afresh (a get and its report): a cached value may be the last run's. */
const policyVersion = (s: SimSession) => s.admin.readFresh("policy_version")

/** How many times the board's program (re)started since `since`. */
function starts(s: SimSession, since = 0) {
    return s.rec
        .select("vm", undefined, since)
        .filter(e => String(e.line).startsWith("start: ")).length
}

describe.skipIf(skip)("two boards of the real firmware in one process", () => {
    beforeAll(async () => {
        build = await FirmwareBuild.make({ log: () => {} })
        ;[a, b] = await Promise.all(
            ["a", "b"].map(name =>
                SimSession.start({
                    build,
                    ports: PORTS,
                    board: `desk-${name}`,
                    deviceId: name === "a" ? "d1a16a2d5130000a" : undefined,
                    logFile: join(OUT, `boards-${name}.log`),
                })
            )
        )
        await Promise.all([a.waitPortsReady(), b.waitPortsReady()])
    }, 120000)

    afterAll(async () => {
        await Promise.all([a?.stop(), b?.stop()])
    }, 30000)

    test("each board has a bus, a device id and a flash of its own", () => {
        expect(a.busUrl).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
        expect(b.busUrl).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
        expect(a.busUrl).not.toBe(b.busUrl)
        expect(a.deviceId).not.toBe(b.deviceId)
        expect(a.bus.flashFile).not.toBe(b.bus.flashFile)
        // neither bus carries the other's VM
        expect([...a.problems, ...b.problems]).toStrictEqual([])
    })

    test("the same dial at the same time: out on the board with a policy, refused on the one without", async () => {
        const r = await a.upload(
            "policy",
            JSON.parse(readFileSync(HQ_FILE, "utf8"))
        )
        expect(r.ok, r.message).toBe(true)
        await Promise.all([
            onA.dial("8001", "01062345678"),
            onB.dial("8001", "01062345678"),
        ])
        await Promise.all([
            onA.expectStep({
                expectDialled: { port: "8001", number: "1790901062345678" },
            }),
            onB.expectStep({ expectRefused: { port: "8001" } }),
            onB.expectStep({ expectNotDialled: { port: "8001", forMs: 500 } }),
        ])
        await Promise.all([onA.hangUp("8001"), onB.hangUp("8001")])
        // premium: refused and counted on a only
        await onA.dial("8101", "16812345")
        await onA.expectStep({
            expectRefused: { port: "8101", code: "premium" },
        })
        await onA.hangUp("8101")
        expect(await a.admin.counter("8101.blocked.premium")).toBe(1)
        expect(await b.admin.counter("8101.blocked.premium")).toBe(0)
        expect(await policyVersion(a)).toBe(3)
        expect(await policyVersion(b)).toBe(0)
    }, 60000)

    test("dialguard flash --bus <board b's URL> provisions b only", async () => {
        const sinceA = a.rec.now()
        const r = await dialguard([
            "flash",
            "--board",
            "desk-b2",
            "--ports",
            PORTS.join(","),
            "--policy",
            HQ_FILE,
            "--bus",
            b.busUrl,
        ])
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(r.stdout).toContain(`on ${b.busUrl})`)
        expect(await policyVersion(b)).toBe(3)
        // flash restarted b: its ports are taken on anew
        const ready = (ext: string, i: number) =>
            `port ${i} ready: extension ${ext}`
        const since = b.rec.now() - r.ms
        const taken = await b.rec.until(() => {
            const lines = b.rec
                .select("vm", undefined, since)
                .map(e => String(e.line))
            return PORTS.every((ext, i) => lines.includes(ready(ext, i)))
                ? true
                : undefined
        }, 10000)
        expect(taken, "b took on its ports again").toBe(true)
        await sleep(300)
        await onB.dial("8001", "01062345678")
        await onB.expectStep({
            expectDialled: { port: "8001", number: "1790901062345678" },
        })
        await onB.hangUp("8001")
        // a was not touched: no upload, no restart
        const aLines = a.rec
            .select("vm", undefined, sinceA)
            .map(e => String(e.line))
        expect(aLines.filter(l => /upload|RESTART|start:/.test(l))).toEqual([])
    }, 60000)

    test("a power cycle of a: a keeps its policy from its flash, b runs on untouched", async () => {
        const sinceB = b.rec.now()
        await a.restart()
        expect(await a.waitPortsReady()).toStrictEqual([])
        expect(await policyVersion(a)).toBe(3)
        expect(await a.admin.counter("8101.blocked.premium")).toBe(1)
        expect(starts(b, sinceB)).toBe(0)
        await onB.dial("8101", "16812345")
        await onB.expectStep({
            expectRefused: { port: "8101", code: "premium" },
        })
        await onB.hangUp("8101")
        expect(await b.admin.counter("8101.blocked.premium")).toBe(1)
        expect([...a.problems, ...b.problems]).toStrictEqual([])
    }, 60000)
})

/** The processes below `pid` (children, theirs, ...): pid and command line. */
function descendants(pid: number): { pid: number; args: string }[] {
    const rows = execFileSync("ps", ["-e", "-o", "pid=,ppid=,args="], {
        encoding: "utf8",
    })
        .trim()
        .split("\n")
        .map(l => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!)
        .map(m => ({ pid: +m[1], ppid: +m[2], args: m[3] }))
    const found: { pid: number; args: string }[] = []
    const todo = [pid]
    while (todo.length) {
        const p = todo.pop()
        for (const r of rows)
            if (r.ppid === p) {
                found.push({ pid: r.pid, args: r.args })
                todo.push(r.pid)
            }
    }
    return found
}

function alive(pid: number) {
    try {
        process.kill(pid, 0)
        return true
    } catch {
        return false
    }
}

async function until(ok: () => boolean, timeoutMs: number) {
    const end = Date.now() + timeoutMs
    while (!ok() && Date.now() < end) await sleep(100)
    return ok()
}

describe.skipIf(skip)("a simulator killed with SIGKILL", () => {
    test("during its build: its processes end, and the next simulator removes its work dir", async () => {
        const sim = spawn(
            process.execPath,
            [
                join(ROOT, "bin", "dialguard.mjs"),
                "sim",
                "run",
                join(ROOT, "sim", "scenarios", "premium-blocked.json"),
            ],
            {
                cwd: ROOT,
                stdio: "ignore",
                env: { ...process.env, DIALGUARD_SIM_REBUILD: "1" },
            }
        )
        const pid = sim.pid!
        const building = () =>
            descendants(pid).some(d => / build devs\/main\.ts/.test(d.args))
        expect(await until(building, 30000), "no devs build started").toBe(true)
        const children = descendants(pid).map(d => d.pid)
        const mine = () =>
            readdirSync(tmpdir()).filter(n =>
                n.startsWith(`dialguard-build-${pid}-`)
            )
        expect(mine()).toHaveLength(1)
        const exited = new Promise(r => sim.once("exit", r))
        sim.kill("SIGKILL")
        await exited // (reaped: a zombie's pid still answers kill 0)
        // the build's guard sees the pipe close and kills its process group
        expect(
            await until(() => !children.some(alive), 10000),
            "processes left: " + children.filter(alive).join(", ")
        ).toBe(true)
        // (not asserted that it is still there: a simulator of another test
        // file running now may already have swept it, as it should)
        await FirmwareBuild.make({ log: () => {} })
        expect(mine()).toStrictEqual([])
    }, 90000)
})

// `dialguard flash` end to end: the REAL CLI (bin/dialguard.mjs) provisions
// the REAL firmware (devs/main.ts) running in the simulator, fresh from the
// factory (no configuration), over the simulated board's own bus
// (`--bus` = the session's busUrl, a loopback port of its own); the board
// then syncs with a REAL broker started here on a free loopback port
// (mosquitto where it is installed, else aedes: test/brokerChoice.ts) and
// enforces the flashed policy when its handsets dial. Bad inputs
// are refused on the host: one clear line, the right exit code, nothing
// sent to the board.
//
// ~30 s; DIALGUARD_SKIP_SIM=1 skips it. What it measures goes to
// .devicescript/sim/flash.measurements.json.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import mqtt, { MqttClient } from "mqtt"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { SimSession } from "../sim/session"
import { testBrokerKind } from "./brokerChoice"
import { monthOf } from "../src/fleet/topics"
import { codeHmac, sealCode } from "../src/fleet/authCodes"
import { boardKey } from "../src/fleet/sign"
import {
    dialguard,
    freePort,
    handsets,
    ROOT,
    Run,
    sleep,
    startBroker,
    TestBroker,
    parseMessage,
} from "./syncHarness"

const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const BROKER = testBrokerKind()
const OUT = join(ROOT, ".devicescript", "sim")
const HQ_FILE = join(ROOT, "sim", "policies", "hq.policy.json")
const KEY_HEX = "0123456789abcdef".repeat(4)
const BOARD = "desk-a"
const PORTS = ["8001", "8101"]

let TMP: string
let KEY_FILE: string
let broker: TestBroker
/** Written to .devicescript/sim/flash.measurements.json. */
const measured: Record<string, unknown> = {}
let s: SimSession

/**
 * What the firmware printed on its console since `since` (session time).
 * (Not the admin service's log events: a restarted board counts its events
 * from 1 again, and jacdac-ts drops those it takes for repeats.)
 */
function boardLog(since = 0): string[] {
    return s.rec.select("vm", undefined, since).map(e => String(e.line))
}

/** A refused run: exit code, one line on stderr saying `what`, no stack trace. */
function refused(r: Run, code: number, what: RegExp) {
    const err = r.stderr.trimEnd()
    expect(r.code, err).toBe(code)
    expect(r.stdout).toBe("")
    expect(err.split("\n")[0]).toMatch(what)
    expect(err).not.toMatch(/\n\s+at |internal error/)
}

const { dial, hangUp, expectStep } = handsets(() => s)

/** The month of the host's clock, in Beijing time. */
const thisMonth = () => monthOf(Math.floor(Date.now() / 1000))

/** The first retained-or-live message on `topic` for which `ok` holds. */
async function awaitMessage(
    topic: string,
    ok: (v: any) => boolean,
    timeoutMs = 20000
): Promise<any> {
    const c: MqttClient = mqtt.connect(broker.url, { reconnectPeriod: 200 })
    c.on("error", () => {})
    const seen: string[] = []
    try {
        return await new Promise((resolve, reject) => {
            const timer = setTimeout(
                () =>
                    reject(
                        new Error(
                            `nothing as expected on ${topic} within ${timeoutMs} ms; seen: ${seen.join(" | ")}`
                        )
                    ),
                timeoutMs
            )
            c.on("message", (t, payload) => {
                const text = payload.toString("utf8")
                seen.push(text)
                let v: any
                try {
                    v = parseMessage(text)
                } catch {
                    return
                }
                if (t === topic && ok(v)) {
                    clearTimeout(timer)
                    resolve(v)
                }
            })
            c.on("connect", () => c.subscribe(topic, { qos: 1 }))
        })
    } finally {
        c.end(true)
    }
}

describe("dialguard flash, host side", () => {
    test("the admin spec read from services/ is the one devs build gives the firmware", async () => {
        const { adminSpec } = await import("../src/board/bus")
        const built = JSON.parse(
            readFileSync(join(ROOT, ".devicescript", "services.json"), "utf8")
        ).find((x: any) => x.shortId === "dialguardadmin")
        const shape = (spec: any) =>
            spec.packets.map((p: any) => [
                p.kind,
                p.name,
                p.identifier,
                p.packFormat ?? null,
                p.derived ?? null,
            ])
        const mine = adminSpec()
        expect(mine.classIdentifier).toBe(built.classIdentifier)
        expect(shape(mine)).toStrictEqual(shape(built))
    })

    test("--help explains both paths to a board", async () => {
        const r = await dialguard(["flash", "--help"])
        expect(r.code).toBe(0)
        expect(r.stdout).toContain("npx devs devtools devs/main.ts --serial")
        expect(r.stdout).toMatch(/Exit status: 0 provisioned/)
    })
})

describe.skipIf(skip)(`dialguard flash, real firmware, ${BROKER}`, () => {
    beforeAll(async () => {
        TMP = mkdtempSync(join(tmpdir(), "dialguard-flash-"))
        KEY_FILE = join(TMP, "hq.key")
        writeFileSync(KEY_FILE, KEY_HEX + "\n", { mode: 0o600 })
        broker = await startBroker(BROKER, TMP)
        s = await SimSession.start({
            ports: PORTS,
            provision: false, // as it comes from the factory
            logFile: join(OUT, "flash.log"),
        })
    }, 20 * 60000)

    afterAll(async () => {
        await s?.stop() // (console.log goes to the session log until then)
        if (Object.keys(measured).length) {
            writeFileSync(
                join(OUT, "flash.measurements.json"),
                JSON.stringify(measured, null, 2) + "\n"
            )
            console.log("flash measurements: " + JSON.stringify(measured))
        }
        await broker?.stop()
        if (TMP) rmSync(TMP, { recursive: true, force: true })
    }, 60000)

    const args = (...more: string[]) => [
        "flash",
        "--board",
        BOARD,
        "--ports",
        PORTS.join(","),
        "--broker",
        broker.url,
        "--key",
        KEY_FILE,
        "--policy",
        HQ_FILE,
        "--bus",
        s.busUrl,
        ...more,
    ]

    test("bad inputs are refused on the host: one line, exit code, nothing sent", async () => {
        const badKey = join(TMP, "bad.key")
        writeFileSync(badKey, KEY_HEX.slice(0, 60) + "\n", { mode: 0o600 })
        const badPolicy = join(TMP, "bad.policy.json")
        const hq = JSON.parse(readFileSync(HQ_FILE, "utf8"))
        hq.handsets[1].department = "nowhere"
        writeFileSync(badPolicy, JSON.stringify(hq))
        const [key, policy, ports, trunk, bus] = await Promise.all([
            dialguard(args().map(a => (a === KEY_FILE ? badKey : a))),
            dialguard(args().map(a => (a === HQ_FILE ? badPolicy : a))),
            dialguard(args().map(a => (a === "8001,8101" ? "8001,81x1" : a))),
            dialguard(args().map(a => (a === "8001,8101" ? "0801,8101" : a))),
            freePort().then(p =>
                dialguard(
                    args().map(a =>
                        a === s.busUrl ? `tcp://127.0.0.1:${p}` : a
                    )
                )
            ),
        ])
        refused(
            key,
            1,
            /^dialguard: bad key file .*bad\.key: 60 hex digits, expected 64 .*nothing was sent$/
        )
        refused(
            policy,
            1,
            /^dialguard: policy file .*bad\.policy\.json is invalid \(1 problem\)/
        )
        expect(policy.stderr).toContain(
            'handsets[1].department: unknown department "nowhere"'
        )
        refused(
            ports,
            2,
            /^dialguard flash: bad --ports item 2 "81x1": an extension must be 2-6 digits 0-9$/
        )
        // The policy's own extension check: 0801 could never be dialled.
        refused(
            trunk,
            2,
            /^dialguard flash: bad --ports item 1 "0801": an extension must not start with 0 \(trunk prefix\) or 1 \(emergency, mobile and service numbers\)$/
        )
        refused(
            bus,
            1,
            /^dialguard: cannot reach the DeviceScript bus at tcp:\/\/127\.0\.0\.1:\d+ \(connection refused\)/
        )
        const other = await dialguard([
            ...args(),
            "--device",
            "0123456789abcdef",
            "--timeout",
            "2s",
        ])
        refused(
            other,
            1,
            /^dialguard: no DialGuard board with device id 0123456789abcdef on the bus .*\(boards on the bus: [0-9a-f]{16}\); nothing was sent$/
        )
        // the board is as it came: no configuration, no policy, no upload
        expect(await s.admin.configHash()).toBe("")
        expect(await s.admin.policyVersion()).toBe(0)
        expect(boardLog().filter(l => /upload/.test(l))).toStrictEqual([])
    }, 60000)

    test("flash: identity, ports, broker, site key and policy; exit 0 with a summary", async () => {
        const since = s.rec.now()
        const r = await dialguard(args())
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(r.stderr).toBe("")
        const out = r.stdout
        expect(out.split("\n")[0]).toMatch(
            /^board desk-a provisioned \(device [0-9a-f]{16} on tcp:\/\/127\.0\.0\.1:\d+\)$/
        )
        expect(out).toContain(` on ${s.busUrl})\n`)
        expect(out).toMatch(/configuration +new, in effect after a restart/)
        expect(out).toMatch(/ports +8001, 8101\n/)
        expect(out).toContain(
            `site hq, broker ${broker.url}, site key from ${KEY_FILE}`
        )
        expect(out).toMatch(
            /policy +version 3 from .*hq\.policy\.json \(2 of 4 handsets, \d+ bytes\)/
        )
        // the board restarted as desk-a serving both extensions
        const lines = boardLog(since)
        expect(lines).toContain("board desk-a policy v0 ports 8001,8101")
        expect(lines).toContain("upload applied")
        expect(await s.admin.policyVersion()).toBe(3)
        measured["flashNewBoardMs"] = r.ms
        measured["restartSummary"] = /restart \(([\d.]+ s)\)/.exec(out)?.[1]
    }, 60000)

    test("the board syncs as desk-a of site hq on that broker: online, retained state, policy version 3", async () => {
        await awaitMessage(`dialguard/hq/${BOARD}/online`, v => v === true)
        const st = await awaitMessage(
            `dialguard/hq/${BOARD}/state`,
            v => v.policyVersion === 3
        )
        expect(st).toMatchObject({
            board: BOARD,
            policyVersion: 3,
            lastError: "",
        })
    }, 30000)

    test("a policy push of the same file agrees with what was flashed", async () => {
        // push cuts the same share for desk-a's ports (from its state): the
        // very text the board holds, so nothing to do, and no refusal
        const r = await dialguard([
            "policy",
            "push",
            HQ_FILE,
            "--broker",
            broker.url,
            "--key",
            KEY_FILE,
            "--timeout",
            "20s",
        ])
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(r.stdout).toMatch(/desk-a\s+applied\s+version 3/)
    }, 60000)

    test("dialling obeys the flashed policy", async () => {
        const before = Date.now()
        const ready = await s.rec.until(() => {
            const l = boardLog()
            return PORTS.every((ext, i) =>
                l.includes(`port ${i} ready: extension ${ext}`)
            )
                ? true
                : undefined
        }, 10000)
        expect(ready, "the board took on both ports").toBe(true)
        await sleep(300)
        // premium lines are blocked on every handset
        await dial("8001", "16812345")
        await expectStep({ expectRefused: { port: "8001", code: "premium" } })
        await expectStep({ expectNotDialled: { port: "8001", forMs: 500 } })
        await hangUp("8001")
        // 8001 is domestic: long distance goes out with the IP prefix
        s.exchange.outside = { answerAfterMs: 300 }
        await dial("8001", "01062345678")
        await expectStep({
            expectDialled: { port: "8001", number: "1790901062345678" },
        })
        await hangUp("8001")
        // the simulated SIP clock runs on the host's time (no startTime
        // given): this month's report has the call and the premium attempt
        const st = await awaitMessage(
            `dialguard/hq/${BOARD}/counters/${thisMonth()}`,
            v => v.handsets?.["8001"]?.blocked?.premium === 1
        )
        expect(st.month).toBe(thisMonth())
        const rep = await dialguard([
            "report",
            "--broker",
            broker.url,
            "--site",
            "hq",
            "--month",
            thisMonth(),
            "--json",
        ])
        expect(rep.code, rep.stderr).toBe(0)
        const h = JSON.parse(rep.stdout).handsets.find(
            (x: any) => x.extension === "8001"
        )
        expect(h.premium).toBe(1)
        const state = await awaitMessage(
            `dialguard/hq/${BOARD}/state`,
            v => v.ts > 0
        )
        expect(state.ts * 1000).toBeGreaterThan(before - 120000)
        expect(state.ts * 1000).toBeLessThan(Date.now() + 120000)
    }, 60000)

    test("an authorization code pushed per board works on the board, which holds only its own key", async () => {
        // v4: 8001 local, one code lifting a call to domestic (sealed with
        // the site key in the file; push gives desk-a the HMAC with its key)
        const key = Buffer.from(KEY_HEX, "hex")
        const doc = JSON.parse(readFileSync(HQ_FILE, "utf8"))
        doc.version = 4
        doc.handsets.find((h: any) => h.extension === "8001").allow = "local"
        doc.authCodes = [
            {
                owner: "王经理",
                allow: "domestic",
                sealed: sealCode(key, "482916"),
            },
        ]
        const file = join(TMP, "codes.policy.json")
        writeFileSync(file, JSON.stringify(doc))
        const r = await dialguard([
            "policy",
            "push",
            file,
            "--broker",
            broker.url,
            "--key",
            KEY_FILE,
            "--timeout",
            "20s",
        ])
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(r.stdout).toMatch(/desk-a\s+applied\s+version 4/)
        // what passed the broker: desk-a's HMAC, not the code nor the seal
        const msg = await awaitMessage(
            `dialguard/hq/${BOARD}/policy`,
            v => v.version === 4
        )
        expect(msg.policy).not.toContain("482916")
        expect(msg.policy).not.toContain("gcm1:")
        expect(JSON.parse(msg.policy).authCodes).toStrictEqual([
            {
                owner: "王经理",
                allow: "domestic",
                hmac: codeHmac(boardKey(key, BOARD), "482916"),
            },
        ])
        s.exchange.outside = { answerAfterMs: 300 }
        await dial("8001", "01062345678")
        await expectStep({ expectTone: { port: "8001", tone: "Prompt" } })
        for (const k of "482916#") {
            await s.port("8001").key(k)
            await sleep(150)
        }
        await expectStep({
            expectDialled: { port: "8001", number: "1790901062345678" },
        })
        expect(boardLog().join("\n")).toContain("code of 王经理")
        await hangUp("8001")
    }, 60000)

    test("a large site: only the board's share is sent, and it works", async () => {
        // 300 more handsets: the whole policy is more than the board takes
        // (and its heap holds), its share for desk-a a fraction of that
        const big = JSON.parse(readFileSync(HQ_FILE, "utf8"))
        big.version = 4
        for (let i = 0; i < 300; i++)
            big.handsets.push({
                extension: String(2000 + i),
                department: i % 2 ? "admin" : "sales",
                allow: "domestic",
                name: "分机" + i,
            })
        const file = join(TMP, "big.policy.json")
        writeFileSync(file, JSON.stringify(big))
        const whole = Buffer.byteLength(JSON.stringify(big))
        const r = await dialguard([
            ...args().map(a => (a === HQ_FILE ? file : a)),
            "--json",
        ])
        expect(r.code, r.stdout + r.stderr).toBe(0)
        const out = JSON.parse(r.stdout)
        expect(out).toMatchObject({
            board: BOARD,
            ports: PORTS,
            site: "hq",
            broker: broker.url,
            configChanged: false, // the same configuration: not restarted
            restartMs: null,
            policy: { version: 4, handsets: 2 },
            policyVersion: 4,
            lastError: "",
        })
        expect(whole).toBeGreaterThan(16384)
        expect(out.policy.bytes).toBeLessThan(whole / 5)
        measured["largeSite"] = {
            wholePolicyBytes: whole,
            boardShareBytes: out.policy.bytes,
            flashSameConfigMs: r.ms,
        }
        await awaitMessage(
            `dialguard/hq/${BOARD}/state`,
            v => v.policyVersion === 4
        )
        // another board's extension is an internal call; premium still blocked
        await dial("8101", "2150")
        await expectStep({ expectDialled: { port: "8101", number: "2150" } })
        await hangUp("8101")
        await dial("8101", "16812345")
        await expectStep({ expectRefused: { port: "8101", code: "premium" } })
        await hangUp("8101")
        expect(s.problems).toStrictEqual([])
    }, 60000)

    test("re-flashed with another id and no policy: the share cut for desk-a is not enforced", async () => {
        const since = s.rec.now()
        const r = await dialguard(
            args("--json", "--site", "hq")
                .map(a => (a === BOARD ? "desk-z" : a))
                .filter(
                    (a, i, all) => a !== "--policy" && all[i - 1] !== "--policy"
                )
        )
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(JSON.parse(r.stdout)).toMatchObject({
            board: "desk-z",
            configChanged: true,
            policyVersion: 0,
        })
        expect(await s.admin.lastError()).toMatch(
            /^stored policy unusable: board policy for board desk-a, this is desk-z/
        )
        // fail closed: long distance refused, emergency still out
        // the ports of the restarted board
        for (let i = 0; i < 100; i++) {
            if (boardLog(since).includes("port 1 ready: extension 8101")) break
            await sleep(100)
        }
        await dial("8101", "01062345678")
        await expectStep({ expectRefused: { port: "8101" } })
        await hangUp("8101")
        await dial("8101", "110")
        await expectStep({ expectDialled: { port: "8101", number: "110" } })
        await hangUp("8101")
    }, 60000)
})

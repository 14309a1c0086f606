// Fleet sync end to end: the REAL firmware (devs/main.ts) in the simulator,
// configured with a broker, against a REAL broker started here on free
// loopback ports (mosquitto where it is installed, else aedes:
// test/brokerChoice.ts), driven with the REAL admin CLI (bin/dialguard.mjs):
// signed policy pushes, refusals (forged, replayed, rollback, invalid,
// malformed, other site, too large for the heap), counters read back with
// `report`,
// call records with `collect`, a broker outage during calls, a board
// powered off (status keeps its last state), a power cycle with the broker
// down, TLS, and call record ids that stay unique across a fresh flash.
//
// Slow (~3 min); DIALGUARD_SKIP_SIM=1 skips it. Latencies measured
// here are written to .devicescript/sim/sync-e2e.measurements.json.

import { ChildProcess } from "node:child_process"
import {
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SimSession } from "../sim/session"
import { registerIn } from "./callsDb"
import { testBrokerKind } from "./brokerChoice"
import { policyHash } from "../src/fleet/sign"
import {
    POLICY_MESSAGE_VERSION,
    policyMessageText,
    readPolicyMessage,
} from "../src/fleet/topics"
import {
    collect,
    dialguard,
    envelope as siteEnvelope,
    ROOT,
    FIXTURES,
    SIM_MONTH,
    SIM_START,
    sleep,
    Watcher,
    handsets,
    startBroker,
    TestBroker,
    startSyncedBoard,
    retainedOn,
    parseMessage,
} from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const BROKER = testBrokerKind()
const TMP = mkdtempSync(join(tmpdir(), "dialguard-sync-e2e-"))
const SITE = "hq"
const BOARD = "desk-a"
const KEY_HEX =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
const OTHER_KEY_HEX = "77".repeat(32)
const KEY_FILE = join(TMP, "hq.key")
const OTHER_KEY_FILE = join(TMP, "other.key")
const MONTH = SIM_MONTH // the simulated SIP wall clock starts at SIM_START
const T = (name: string) => `dialguard/${SITE}/${name}`
const STATE = T(`${BOARD}/state`)
const ONLINE = T(`${BOARD}/online`)
const POLICY = T(`${BOARD}/policy`)

// ------------------------------------------------------------- policies

const HQ = JSON.parse(
    readFileSync(join(ROOT, "sim", "policies", "hq.policy.json"), "utf8")
)

/** hq.policy.json at `version`, with 8001's class changed. */
function hq(version: number, class8001: string) {
    const p = structuredClone(HQ)
    p.version = version
    p.handsets.find((h: any) => h.extension === "8001").allow = class8001
    return p
}

function policyFile(name: string, doc: unknown): string {
    const f = join(TMP, name)
    writeFileSync(f, JSON.stringify(doc, null, 2))
    return f
}

/** A policy message as `policy push` builds it, from any text and key. */
function envelope(
    text: string,
    version: number,
    keyHex = KEY_HEX,
    extra: Record<string, unknown> = {}
): string {
    return siteEnvelope(SITE, text, version, keyHex, extra)
}

// ------------------------------------------------------------- the board

let broker: TestBroker
let watcher: Watcher
let collector: ChildProcess
const CALLS_DIR = join(TMP, "calls")
let s: SimSession
const measured: Record<string, unknown> = {}

const { dial, hangUp, expectStep } = handsets(() => s)

async function push(file: string, keyFile = KEY_FILE) {
    return dialguard([
        "policy",
        "push",
        file,
        "--broker",
        broker.url,
        "--key",
        keyFile,
        "--site",
        SITE,
        "--timeout",
        "20s",
    ])
}

/** Publishes a raw policy message and waits for the board's refusal. */
async function refused(payload: string | Buffer, version: number) {
    // The answer to the message before must be in first (a state matching
    // this one's version could otherwise be that answer, arriving late).
    for (;;) {
        const last = watcher.seen.filter(m => m.topic === STATE).pop()
        if (!last || Date.now() - last.t > 400) break
        await sleep(100)
    }
    const t0 = Date.now()
    await watcher.publish(POLICY, payload)
    const st = await watcher.wait(
        STATE,
        t0,
        v => v.rejected?.version === version
    )
    return st.value
}

async function report(month = MONTH, callsDir?: string) {
    const args = [
        "report",
        "--broker",
        broker.url,
        "--site",
        SITE,
        "--month",
        month,
        "--json",
    ]
    if (callsDir) args.push("--calls", callsDir)
    const r = await dialguard(args)
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
}

function handset(rep: any, ext: string) {
    return rep.handsets.find((h: any) => h.extension === ext)
}

describe.skipIf(skip)(`fleet sync, real firmware and ${BROKER}`, () => {
    beforeAll(async () => {
        writeFileSync(KEY_FILE, KEY_HEX + "\n", { mode: 0o600 })
        writeFileSync(OTHER_KEY_FILE, OTHER_KEY_HEX + "\n", { mode: 0o600 })
        broker = await startBroker(BROKER, TMP, { tls: true })
        watcher = new Watcher(broker.url, SITE, "sync-e2e-watcher")
        await watcher.start()
        collector = collect(broker.url, SITE, CALLS_DIR)
        // the VM's TLS socket (Node's tls) trusts the test CA
        process.env["NODE_EXTRA_CA_CERTS"] = join(FIXTURES, "ca.pem")
        mkdirSync(OUT, { recursive: true })
        s = await startSyncedBoard({
            ports: ["8001", "8101"],
            board: BOARD,
            logFile: join(OUT, "sync-e2e.log"),
            startTime: SIM_START,
            site: SITE,
            url: broker.url,
            key: KEY_HEX,
        })
        s.exchange.outside = { answerAfterMs: 300 }
    }, 20 * 60000)

    afterAll(async () => {
        writeFileSync(
            join(OUT, "sync-e2e.measurements.json"),
            JSON.stringify(measured, null, 2) + "\n"
        )
        console.log("sync e2e measurements: " + JSON.stringify(measured))
        await s?.stop()
        collector?.kill("SIGTERM")
        watcher?.client.end(true)
        await broker?.stop()
        rmSync(TMP, { recursive: true, force: true })
    }, 60000)

    test("the board connects: online, retained state, no policy yet (fail closed)", async () => {
        await watcher.wait(ONLINE, 0, v => v === true)
        const st = await watcher.wait(STATE, 0, v => v.board === BOARD)
        expect(st.value.online).toBeUndefined() // (its own topic says it)
        expect(st.value.policyHash).toBeUndefined() // none enforced
        expect(st.value).toMatchObject({
            board: BOARD,
            policyVersion: 0,
            firmware: "0.1.0",
            lastError: "",
        })
    })

    test("policy push v3: applied (exit 0), enforced, dialling obeys it", async () => {
        const t0 = Date.now()
        const r = await push(policyFile("v3.json", HQ))
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(r.stdout).toMatch(/desk-a\s+applied\s+version 3/)
        const sent = await watcher.wait(POLICY, t0, v => v.version === 3)
        const st = await watcher.wait(STATE, t0, v => v.policyVersion === 3)
        // named by the hash of the very text it was sent
        expect(st.value.policyHash).toBe(policyHash(sent.value.policy))
        measured["pushToAppliedMs"] = [st.t - sent.t]
        expect(st.value.ts).toBeGreaterThan(1795000000) // SIP wall clock known
        measured["policyPushCliMs"] = [r.ms]
        expect(await s.admin.policyVersion()).toBe(3)
        // 8001 is domestic: long distance goes out with the IP prefix
        await dial("8001", "01062345678")
        await expectStep({
            expectDialled: { port: "8001", number: "1790901062345678" },
        })
        await sleep(2200) // answered after 300 ms: ~2 s of talk
        const end = Date.now()
        await hangUp("8001")
        const c = await watcher.wait(
            T(`${BOARD}/counters/${MONTH}`),
            end,
            v => v.handsets?.["8001"]?.calls?.domestic === 1
        )
        measured["callEndToCountersMs"] = [c.t - end]
        expect(c.value.month).toBe(MONTH)
        expect(
            c.value.handsets["8001"].seconds.domestic
        ).toBeGreaterThanOrEqual(1)
    }, 120000)

    test("counters appear in `dialguard report`", async () => {
        const rep = await report()
        expect(rep.boards).toStrictEqual([BOARD])
        const h = handset(rep, "8001")
        expect(h.calls.domestic).toBe(1)
        expect(h.seconds.domestic).toBeGreaterThanOrEqual(1)
        expect(h.seconds.domestic).toBeLessThanOrEqual(4)
    }, 60000)

    test("policy push v4 (8001 local only): the same dial is refused", async () => {
        const t0 = Date.now()
        const r = await push(policyFile("v4.json", hq(4, "local")))
        expect(r.code, r.stdout + r.stderr).toBe(0)
        const sent = await watcher.wait(POLICY, t0, v => v.version === 4)
        const st = await watcher.wait(STATE, t0, v => v.policyVersion === 4)
        ;(measured["pushToAppliedMs"] as number[]).push(st.t - sent.t)
        ;(measured["policyPushCliMs"] as number[]).push(r.ms)
        await dial("8001", "01062345678")
        await expectStep({ expectRefused: { port: "8001", code: "class" } })
        await hangUp("8001")
    }, 120000)

    test("a push with another key file: the board's state does not verify with it, nothing is sent (exit 3), v4 stays", async () => {
        const t0 = Date.now()
        const r = await push(
            policyFile("v5.json", hq(5, "international")),
            OTHER_KEY_FILE
        )
        expect(r.code, r.stdout + r.stderr).toBe(3)
        expect(r.stdout).toMatch(
            /^desk-a\s+state refused\s+state refused: forged \(signature does not verify\); nothing sent$/m
        )
        expect(r.stderr).toContain(
            `board ${BOARD}: ${STATE} refused: forged (signature does not verify)`
        )
        expect(watcher.parsed(POLICY, t0)).toEqual([])
        expect(parseMessage(await retainedOn(broker.url, POLICY)).version).toBe(
            4
        )
        expect(await s.admin.policyVersion()).toBe(4)
    }, 60000)

    test("the broker lost its retained policy (a crash without autosave): an older version pushed is refused by the board and taken back; v4 put back", async () => {
        const v4 = await retainedOn(broker.url, POLICY)
        let t0 = Date.now()
        await watcher.publish(POLICY, "", true)
        await watcher.wait(STATE, t0, v => v.policyVersion === 4)
        t0 = Date.now()
        const r = await push(policyFile("v3.json", hq(3, "international")))
        expect(r.code, r.stdout + r.stderr).toBe(3)
        expect(r.stdout).toMatch(
            /^desk-a\s+rejected\s+version 3 refused: older than version 4; taken back: the broker holds no policy for it again$/m
        )
        const st = await watcher.wait(STATE, t0, v => v.rejected?.version === 3)
        expect(st.value).toMatchObject({
            policyVersion: 4,
            rejected: { version: 3, reason: "older than version 4" },
        })
        expect(st.value.lastError).toContain("policy v3 refused")
        // taken back: the refusal goes with it
        await watcher.wait(
            STATE,
            st.t,
            v => v.policyVersion === 4 && v.rejected === undefined
        )
        // v4 back on the broker: the very text the board enforces
        t0 = Date.now()
        await watcher.publish(POLICY, v4, true)
        const clean = await watcher.wait(
            STATE,
            t0,
            v => v.policyVersion === 4 && v.rejected === undefined
        )
        expect(clean.value.lastError).toBe("")
        expect(await s.admin.policyVersion()).toBe(4)
    }, 60000)

    test("per-board keys: a message signed with board desk-b's key is refused by desk-a, v4 stays", async () => {
        // what a stolen desk-b could sign: its own key is
        // HKDF-SHA256(site key, its id), and desk-a holds another
        const text = JSON.stringify(hq(6, "international"))
        const st = await refused(
            siteEnvelope(SITE, text, 6, KEY_HEX, {}, "desk-b"),
            6
        )
        expect(st.rejected.reason).toBe("signature does not match the site key")
        expect(st.policyVersion).toBe(4)
        expect(await s.admin.policyVersion()).toBe(4)
    }, 60000)

    test("replayed / forged same version, rollback, invalid, mismatched version: refused with the reason", async () => {
        const v4text = JSON.stringify(hq(4, "international"))
        expect((await refused(envelope(v4text, 4), 4)).rejected.reason).toBe(
            "version 4 is already enforced with other content (replayed or forged)"
        )
        const v3text = JSON.stringify(HQ)
        expect((await refused(envelope(v3text, 3), 3)).rejected.reason).toBe(
            "older than version 4"
        )
        const bad = hq(9, "domestic")
        bad.handsets[1].department = "nowhere"
        const st = await refused(envelope(JSON.stringify(bad), 9), 9)
        expect(st.rejected.reason).toMatch(/^invalid policy: handsets\[1\]/)
        const v8 = JSON.stringify(hq(8, "international"))
        expect((await refused(envelope(v8, 7), 7)).rejected.reason).toBe(
            "the policy says version 8, the message 7"
        )
        // the message already enforced again: nothing to do, answered anyway
        const t0 = Date.now()
        const same = await watcher.wait(POLICY, 0, v => v.version === 4)
        await watcher.publish(POLICY, same.text)
        // (the answer to the v7 message before may still come after t0)
        const again = await watcher.wait(
            STATE,
            t0,
            v => v.rejected === undefined // taken: no refusal stands
        )
        expect(again.value.policyVersion).toBe(4)
        expect(await s.admin.policyVersion()).toBe(4)
    }, 60000)

    test("malformed, wrong envelope: refused, enforcement unchanged", async () => {
        expect((await refused("{not json", 0)).rejected.reason).toBe(
            "policy message is not JSON"
        )
        const other: any = readPolicyMessage(
            envelope(JSON.stringify(hq(11, "local")), 11)
        )
        other.site = "branch"
        expect(
            (await refused(policyMessageText(other), 11)).rejected.reason
        ).toBe('policy message for site "branch", this board is in hq')
        other.site = SITE
        other.v = 1
        expect(
            (await refused(policyMessageText(other), 11)).rejected.reason
        ).toBe("unsupported policy message v 1")
        // the earlier envelope (the policy inside one JSON object): refused
        expect((await refused(JSON.stringify(other), 11)).rejected.reason).toBe(
            "unsupported policy message v 1"
        )
        delete other.sig
        other.v = POLICY_MESSAGE_VERSION
        expect(
            (await refused(policyMessageText(other), 11)).rejected.reason
        ).toMatch(/"sig"/)
        expect(await s.admin.policyVersion()).toBe(4)
        await dial("8001", "01062345678")
        await expectStep({ expectRefused: { port: "8001", code: "class" } })
        await hangUp("8001")
    }, 120000)

    test("a whole site policy over the board's limit: refused by its size or not sent by the broker, v4 stays, no restart", async () => {
        // A WHOLE site policy of 60 handsets, not the board's share that
        // `policy push` sends: over the 4096 bytes a board reads in (whole
        // policies of ~30 handsets / 3.5 KB exhausted the 64 KB heap).
        // Signed and retained, so every reconnect brings it again.
        const big = hq(10, "international")
        for (let i = 0; i < 60; i++)
            big.handsets.push({
                extension: String(8200 + i),
                department: i % 2 ? "admin" : "sales",
                allow: "local",
                name: "分机" + i,
            })
        const payload = envelope(JSON.stringify(big), 10)
        const bytes = Buffer.byteLength(payload)
        expect(bytes).toBeGreaterThan(4096)
        const starts = () =>
            s.rec.select("vm").filter(e => /^start: /.test(String(e.line)))
                .length
        const before = starts()
        const t0 = Date.now()
        await watcher.publish(POLICY, payload, true)
        let reason: string
        if (BROKER === "mosquitto") {
            // MQTT 5 Maximum Packet Size: mosquitto does not send it to
            // the board at all. A refused message after it says the board
            // is past it (messages on a topic come in order).
            const st = await refused(envelope("{}", 12, OTHER_KEY_HEX), 12)
            expect(st.policyVersion).toBe(4)
            reason = "not sent by the broker (MQTT 5 Maximum Packet Size)"
        } else {
            // MQTT 3.1.1: refused from the packet header, its bytes
            // skipped as they arrive
            const st = await watcher.wait(
                STATE,
                t0,
                v => /too large/.test(v.rejected?.reason ?? ""),
                90000
            )
            expect(st.value).toMatchObject({ policyVersion: 4 })
            reason = st.value.rejected.reason
        }
        expect(await s.admin.policyVersion()).toBe(4)
        await sleep(5000)
        measured["tooLarge"] = { bytes, reason, restarts: starts() - before }
        expect(starts() - before).toBe(0)
    }, 180000)

    test("a later good push of a 1500-handset site is applied (the board's share) and clears the refusal", async () => {
        // 30 times the handsets that the whole policy could have
        const v11 = hq(11, "international")
        for (let i = 0; i < 1500; i++)
            v11.handsets.push({
                extension: String(2000 + i),
                department: i < 750 ? "admin" : "sales", // numbered in blocks
                allow: "local",
                name: "分机" + i,
            })
        const t0 = Date.now()
        const r = await push(policyFile("v11.json", v11))
        expect(r.code, r.stdout + r.stderr).toBe(0)
        const sent = await watcher.wait(POLICY, t0, v => v.version === 11)
        const st = await watcher.wait(STATE, t0, v => v.policyVersion === 11)
        ;(measured["pushToAppliedMs"] as number[]).push(st.t - sent.t)
        ;(measured["policyPushCliMs"] as number[]).push(r.ms)
        expect(st.value.rejected).toBeUndefined()
        expect(st.value.lastError).toBe("")
        measured["boardShareOf1500Bytes"] = Buffer.byteLength(sent.text)
        // an extension on another board is an internal number
        await dial("8101", "2750#")
        await expectStep({ expectDialled: { port: "8101", number: "2750" } })
        await hangUp("8101")
    }, 60000)

    test("broker down during calls: counters and the call register complete afterwards", async () => {
        const dir = CALLS_DIR
        {
            await broker.stop()
            const down = Date.now()
            // answered international call from 8001 (~2 s)
            await dial("8001", "0085212345678")
            await expectStep({
                expectDialled: { port: "8001", number: "179090085212345678" },
            })
            await sleep(2200)
            await hangUp("8001")
            // unanswered domestic call from 8101: a record, no counted call
            s.exchange.outside = { busy: true }
            await dial("8101", "02062345678")
            await expectStep({
                expectDialled: { port: "8101", number: "1790902062345678" },
            })
            await expectStep({ expectTone: { port: "8101", tone: "Busy" } })
            await hangUp("8101")
            s.exchange.outside = { answerAfterMs: 300 }
            await sleep(3000)
            await broker.start()
            const up = Date.now()
            const st = await watcher.wait(ONLINE, up, v => v === true, 90000)
            measured["brokerDownMs"] = up - down
            measured["reconnectAfterBrokerBackMs"] = st.t - up
            await watcher.wait(
                T(`${BOARD}/counters/${MONTH}`),
                up,
                v => v.handsets?.["8001"]?.calls?.international === 1
            )
            const rep = await report()
            const h = handset(rep, "8001")
            expect(h.calls).toMatchObject({ domestic: 1, international: 1 })
            expect(h.blocked.class).toBe(2)
            expect(handset(rep, "8101")?.calls?.domestic ?? 0).toBe(0)
            // the register: both calls of the outage, once each
            let lines: any[] = []
            const end = Date.now() + 30000
            while (Date.now() < end) {
                lines = registerIn(dir)
                if (lines.length >= 3) break
                await sleep(200)
            }
            await sleep(1500) // any duplicate would arrive now
            const ids = lines.map(l => l.id)
            expect(new Set(ids).size).toBe(ids.length)
            const byNumber = Object.fromEntries(lines.map(l => [l.number, l]))
            expect(byNumber["01062345678"]).toMatchObject({
                board: BOARD,
                handset: "8001",
                category: "domestic",
            })
            expect(byNumber["0085212345678"]).toMatchObject({
                handset: "8001",
                category: "international",
            })
            expect(byNumber["0085212345678"].seconds).toBeGreaterThanOrEqual(1)
            expect(byNumber["02062345678"]).toMatchObject({
                handset: "8101",
                category: "domestic",
                seconds: 0,
            })
            for (const l of lines) {
                expect(l.id).toMatch(/^desk-a-\d+-\d+$/)
                expect(l.start).toBeGreaterThan(1795000000)
            }
            const withRegister = await report(MONTH, dir)
            measured["register"] = {
                records: withRegister.register.calls.length,
                countedByBoards: withRegister.register.counted,
            }
        }
    }, 240000)

    test("powered off: the broker marks it offline, status keeps its last version, firmware and last seen", async () => {
        const t0 = Date.now()
        await s.powerOff()
        await watcher.wait(ONLINE, t0, v => v === false) // its will
        const r = await dialguard([
            "status",
            "--broker",
            broker.url,
            "--site",
            SITE,
            "--json",
        ])
        expect(r.code, r.stderr).toBe(0)
        const b = JSON.parse(r.stdout).boards[0]
        expect(b).toMatchObject({
            board: BOARD,
            online: false,
            policyVersion: 11,
            firmware: "0.1.0",
        })
        expect(b.ts).toBeGreaterThan(1795000000)
        expect(b.lastSeen).toMatch(/^2026-11-\d\d \d\d:\d\d:\d\d$/)
        const up = Date.now()
        await s.powerOn()
        expect(await s.waitPortsReady()).toStrictEqual([])
        await watcher.wait(ONLINE, up, v => v === true, 30000)
    }, 120000)

    test("power cycle with the broker down: the last good policy (v11) is enforced", async () => {
        await broker.stop()
        await s.restart()
        expect(await s.waitPortsReady()).toStrictEqual([])
        expect(await s.admin.policyVersion()).toBe(11)
        await dial("8001", "0085212345678")
        await expectStep({
            expectDialled: { port: "8001", number: "179090085212345678" },
        })
        await sleep(1500) // answered after 300 ms
        await hangUp("8001")
        await dial("8001", "16812345")
        await expectStep({ expectRefused: { port: "8001", code: "premium" } })
        await hangUp("8001")
        // back online: counters from flash plus the new ones, never zeros
        const up = Date.now()
        await broker.start()
        const c = await watcher.wait(
            T(`${BOARD}/counters/${MONTH}`),
            up,
            v => v.handsets?.["8001"]?.blocked?.premium === 1,
            90000
        )
        expect(c.value.handsets["8001"].calls).toMatchObject({
            domestic: 1,
            international: 2,
        })
        await watcher.wait(ONLINE, up, v => v === true)
        const st = await watcher.wait(STATE, up, v => v.board === BOARD)
        expect(st.value.policyVersion).toBe(11)
    }, 240000)

    test("TLS: mqtts:// to the broker's TLS listener", async () => {
        const r = await s.upload("config", {
            ...s.config,
            broker: { url: `mqtts://127.0.0.1:${broker.tlsPort}` },
        })
        expect(r.ok, r.message).toBe(true)
        const since = s.rec.now()
        await s.softRestart()
        const tls = `mqtts://127.0.0.1:${broker.tlsPort}`
        const connected = await s.rec.until(
            () =>
                s.rec
                    .select("vm", undefined, since)
                    .find(e => e.line === "sync: connected to " + tls),
            60000
        )
        expect(connected, "no TLS connection in the VM log").toBeDefined()
        const st = await watcher.wait(
            STATE,
            Date.now() - 1000,
            v => v.policyVersion === 11,
            20000
        )
        expect(st.value.board).toBe(BOARD)
    }, 120000)

    test("a fresh flash: record ids never repeat, the collector keeps every call", async () => {
        const ids = () => registerIn(CALLS_DIR)
        const before = ids()
        expect(before.length).toBeGreaterThanOrEqual(3)
        // the same board flashed anew: no boot count, policy or records in
        // its flash; it takes v11 from the broker again
        const t0 = Date.now()
        await s.freshFlash()
        expect(await s.waitPortsReady()).toStrictEqual([])
        await watcher.wait(STATE, t0, v => v.policyVersion === 11, 60000)
        await dial("8001", "02087654321")
        await expectStep({
            expectDialled: { port: "8001", number: "1790902087654321" },
        })
        await sleep(1500) // answered after 300 ms
        await hangUp("8001")
        let got: any
        for (let i = 0; i < 150 && !got; i++) {
            got = ids().find(l => l.number === "02087654321")
            if (!got) await sleep(200)
        }
        expect(
            got,
            "the call after the fresh flash is in the register"
        ).toBeDefined()
        const all = ids().map(l => l.id)
        expect(new Set(all).size).toBe(all.length)
        const boot = (id: string) => id.split("-")[2]
        expect(before.map(l => boot(l.id))).not.toContain(boot(got.id))
        measured["recordIds"] = [...before.map(l => l.id), got.id]
    }, 180000)
})

// The portable parts of the board's fleet sync (devs/sync): the protocol
// messages against the CLI's contract (src/fleet/topics.ts), the policy
// envelope checks up to the signature, the reconnect backoff, the call
// record queue in flash and the outbox, and the sync part of the board
// configuration. The MQTT side runs end to end in test/sync.e2e.test.ts.

import { createHash, createHmac, randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { validateConfig } from "../devs/app/boardConfig"
import { compileDialPlan } from "../devs/engine/dialPlan"
import {
    CHINA_RING,
    HandsetPort,
    PortOutputs,
    PortPolicy,
    PortCall,
    PortRecorder,
} from "../devs/phone/handsetPort"
import { validPolicy } from "./helpers"
import { CallCounters } from "../devs/phone/counters"
import { KeyValueStore } from "../devs/store/chunkedStore"
import {
    BACKOFF_CAP_MS,
    BACKOFF_FIRST_MS,
    backoffMs,
} from "../devs/sync/backoff"
import { parseBrokerUrl } from "../devs/sync/config"
import {
    COUNTERS_MIN_MS,
    Outbox,
    OutboxSource,
    RETRY_MS,
} from "../devs/sync/outbox"
import {
    crashGuard,
    countersMessage,
    FIRMWARE_VERSION,
    MAX_POLICY_PAYLOAD,
    monthsHeld,
    OFFLINE,
    ONLINE,
    openEnvelope,
    sizeRefusal,
    stateMessage,
    topic,
} from "../devs/sync/protocol"
import {
    CallRecord,
    MAX_RECORDS,
    nextBoot,
    readRecord,
    RecordQueue,
    encodeRecord,
} from "../devs/sync/recordQueue"
import { boardMessage, preparePush } from "../src/fleet/push"
import { boardKey, policyHash } from "../src/fleet/sign"
import * as V from "./vm/syncVectors"
import {
    MAX_POLICY_PAYLOAD as CLI_MAX_POLICY_PAYLOAD,
    callsTopic,
    checkCallRecord,
    checkCounters,
    checkOnline,
    checkState,
    countersTopic,
    onlineTopic,
    policyMessageText,
    policyTopic,
    readPolicyMessage,
    stateTopic,
} from "../src/fleet/topics"
import {
    BLOCKED_CODES,
    CALL_CATEGORIES,
    CALLER_OUTCOMES,
    INCOMING_OUTCOMES,
} from "../devs/phone/counters"

const KEY_HEX =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
const TMP = mkdtempSync(join(tmpdir(), "dialguard-sync-"))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

const NAMES = {
    categories: CALL_CATEGORIES as string[],
    codes: BLOCKED_CODES as string[],
    outcomes: INCOMING_OUTCOMES as string[],
    callerOutcomes: CALLER_OUTCOMES as string[],
}

/** The firmware's check up to the signature, with Node's HMAC for @devicescript/crypto's. */
function boardCheck(
    payload: string,
    site: string,
    keyHex = KEY_HEX,
    board = "desk-a"
) {
    const big = sizeRefusal(Buffer.byteLength(payload), 0)
    if (big) return { refusal: { version: 0, reason: big } }
    // the header line, then the policy text (devs/sync/sync.ts checkOne)
    const nl = payload.indexOf("\n")
    const policy = nl < 0 ? "" : payload.slice(nl + 1)
    const o = openEnvelope(
        nl < 0 ? payload : payload.slice(0, nl + 1),
        site,
        board
    )
    if (o.refusal) return o
    const mac = createHmac(
        "sha256",
        boardKey(Buffer.from(keyHex, "hex"), board)
    )
        .update(policy, "utf8")
        .digest("hex")
    if (mac !== o.env!.sig)
        return {
            refusal: {
                version: o.env!.version,
                reason: "signature does not match the site key",
            },
        }
    return o
}

/** The slots of the queued records, oldest first. */
function slots(q: RecordQueue): number[] {
    const out: number[] = []
    for (let i = 0; i < q.count; ++i) out.push((q.head + i) % MAX_RECORDS)
    return out
}

/** [boot, seq] of each queued record, read back from flash. */
async function bootSeq(q: RecordQueue, max = MAX_RECORDS): Promise<number[][]> {
    const out: number[][] = []
    for (let i = 0; i < q.count; ++i) {
        const r = (await readRecord(q, (q.head + i) % max))!
        out.push([r.boot, r.seq])
    }
    return out
}

describe("protocol messages match the CLI's contract", () => {
    test("topics", () => {
        expect(topic("hq", "desk-a/policy")).toBe(policyTopic("hq", "desk-a"))
        expect(topic("hq", "desk-a/state")).toBe(stateTopic("hq", "desk-a"))
        expect(topic("hq", "desk-a/online")).toBe(onlineTopic("hq", "desk-a"))
        expect(topic("hq", "desk-a/calls")).toBe(callsTopic("hq", "desk-a"))
        expect(topic("hq", "desk-a/counters/2026-11")).toBe(
            countersTopic("hq", "desk-a", "2026-11")
        )
        expect(MAX_POLICY_PAYLOAD).toBe(CLI_MAX_POLICY_PAYLOAD)
    })

    test("state, liveness and will pass the CLI's checks", () => {
        const s = JSON.parse(
            stateMessage({
                board: "desk-a",
                handsets: ["8001", "8002"],
                policyVersion: 3,
                policyHash: "ab".repeat(32),
                lastError: "",
                rejected: { version: 4, reason: "older than version 5" },
                ts: 1795749600,
                droppedRecords: 2,
            })
        )
        expect(checkState(s).error).toBeUndefined()
        expect(s).toStrictEqual({
            board: "desk-a",
            handsets: ["8001", "8002"],
            policyVersion: 3,
            policyHash: "ab".repeat(8),
            firmware: FIRMWARE_VERSION,
            lastError: "",
            rejected: { version: 4, reason: "older than version 5" },
            ts: 1795749600,
            droppedRecords: 2,
        })
        const plain = JSON.parse(
            stateMessage({
                board: "desk-a",
                handsets: ["8001"],
                policyVersion: 0,
                policyHash: "",
                lastError: "",
                ts: 0,
                droppedRecords: 0,
            })
        )
        expect(Object.keys(plain)).toStrictEqual([
            "board",
            "handsets",
            "policyVersion",
            "firmware",
            "lastError",
            "ts",
        ])
        expect(checkOnline(ONLINE).value).toBe(true)
        expect(checkOnline(OFFLINE).value).toBe(false)
    })

    test("the state names the enforced policy as the CLI hashes the text it sends", () => {
        // Board.enforce keeps the sha256 hex of the text; stateMessage
        // publishes its start
        const full = createHash("sha256")
            .update(V.POLICY_TEXT, "utf8")
            .digest("hex")
        const s = JSON.parse(
            stateMessage({
                board: "desk-a",
                handsets: ["8001"],
                policyVersion: 4,
                policyHash: full,
                lastError: "",
                ts: 0,
                droppedRecords: 0,
            })
        )
        expect(s.policyHash).toBe(policyHash(V.POLICY_TEXT))
        expect(s.policyHash).toBe(V.POLICY_HASH)
    })

    test("counters: cumulative per month, zero entries left out, read back by the CLI", () => {
        const c = new CallCounters()
        c.recordCall("8001", "2026-11", "domestic", 125)
        c.recordCall("8001", "2026-11", "local", 0)
        c.recordBlocked("8001", "2026-11", "premium")
        c.recordIncoming("8101", "2026-11", "onTime")
        c.recordCaller("8101", "2026-11", "late")
        c.recordCall("8101", "unknown", "international", 30)
        c.recordCall("8101", "2026-10", "local", 10)
        expect(monthsHeld(c).sort()).toStrictEqual([
            "2026-10",
            "2026-11",
            "unknown",
        ])
        // in parts, the closing "}" left to the signature (Sync.publish)
        const parts = countersMessage("desk-a", "2026-11", c)
        const text = parts.join("") + "}"
        const m = JSON.parse(text)
        // the head, a part per handset, the handsets' "}"
        expect(parts.length).toBe(2 + Object.keys(m.handsets).length)
        expect(m).toStrictEqual({
            board: "desk-a",
            month: "2026-11",
            handsets: {
                "8001": {
                    calls: { local: 1, domestic: 1 },
                    seconds: { domestic: 125 },
                    blocked: { premium: 1 },
                },
                "8101": { incoming: { onTime: 1 }, caller: { late: 1 } },
            },
        })
        const unknown: string[] = []
        const back = checkCounters(m, NAMES, unknown)
        expect(back.error).toBeUndefined()
        expect(unknown).toStrictEqual([])
        expect(back.value!.handsets["8001"]!.calls["domestic"]).toBe(1)
        expect(back.value!.handsets["8001"]!.calls["mobile"]).toBe(0)
        expect(back.value!.handsets["8101"]!.caller).toStrictEqual({
            onTime: 0,
            late: 1,
            missed: 0,
        })
        const u = JSON.parse(
            countersMessage("desk-a", "unknown", c).join("") + "}"
        )
        expect(Object.keys(u.handsets)).toStrictEqual(["8101"])
    })

    test("a call record as the board publishes it passes the collector's check", () => {
        const r = {
            board: "desk-a",
            handset: "8001",
            number: "01012345678",
            category: "domestic",
            start: 1795749600,
            seconds: 0,
            id: "desk-a-3-17",
        }
        expect(checkCallRecord(r).value).toStrictEqual(r)
    })
})

describe("policy envelope, up to the signature", () => {
    const policyFile = join(TMP, "hq.policy.json")
    const keyBytes = Buffer.from(KEY_HEX, "hex")
    const policy = {
        version: 4,
        site: { name: "HQ 南京", areaCode: "025" },
        departments: [
            { id: "admin", name: "人事行政部", floor: 3, x: 10, y: 4 },
        ],
        handsets: [
            { extension: "8001", department: "admin", allow: "domestic" },
        ],
    }
    writeFileSync(policyFile, JSON.stringify(policy, null, 2))

    const pushed = () =>
        boardMessage(preparePush(policyFile, keyBytes, "hq"), "desk-a", [
            "8001",
        ])

    test("what `policy push` publishes opens, and its signature matches (UTF-8 names)", () => {
        const m = pushed()
        const o = boardCheck(m.payload, "hq")
        expect(o.refusal).toBeUndefined()
        expect(o.env).toStrictEqual({
            version: 4,
            sig: readPolicyMessage(m.payload)!.sig,
            key: undefined,
        })
        expect(readPolicyMessage(m.payload)!.policy).toBe(m.text)
        // the policy text is JSON, in lines of at most a few hundred bytes
        expect(JSON.parse(m.text).handsets[0].extension).toBe("8001")
        for (const line of m.payload.split("\n"))
            expect(Buffer.byteLength(line)).toBeLessThan(400)
    })

    test("refusals, in the protocol's order", () => {
        const prep = pushed()
        const msg = readPolicyMessage(prep.payload)!
        const sig: string = msg.sig
        const with_ = (patch: any) => policyMessageText({ ...msg, ...patch })
        const reason = (payload: string, site = "hq", key = KEY_HEX) =>
            boardCheck(payload, site, key).refusal
        expect(reason("{not json")).toStrictEqual({
            version: 0,
            reason: "policy message is not JSON",
        })
        expect(reason("[1,2]")!.reason).toBe("policy message is not JSON")
        expect(reason(with_({ v: 1 }))).toStrictEqual({
            version: 4,
            reason: "unsupported policy message v 1",
        })
        // a message of the earlier envelope (one JSON object): refused
        expect(
            reason(JSON.stringify({ ...msg, v: 1, policy: prep.text }))
        ).toStrictEqual({
            version: 4,
            reason: "unsupported policy message v 1",
        })
        // v before site, site before the signature
        expect(reason(with_({ v: 3, site: "x", sig: "00" }))!.reason).toMatch(
            /^unsupported/
        )
        expect(reason(prep.payload, "branch")!.reason).toBe(
            'policy message for site "hq", this board is in branch'
        )
        expect(
            boardCheck(prep.payload, "hq", KEY_HEX, "desk-b").refusal
        ).toStrictEqual({
            version: 4,
            reason: 'policy message for board "desk-a", this is desk-b',
        })
        expect(reason(with_({ version: 0 }))!.reason).toMatch(/"version"/)
        expect(reason(with_({ version: "4" }))!.reason).toMatch(/"version"/)
        expect(reason(with_({ sig: undefined }))!.reason).toMatch(/"sig"/)
        // 64 characters but not lower-case hex: it cannot be the HMAC
        expect(reason(with_({ sig: sig.toUpperCase() }))!.reason).toBe(
            "signature does not match the site key"
        )
        expect(reason(with_({ sig: sig.slice(2) }))!.reason).toMatch(/"sig"/)
        expect(reason(prep.payload, "hq", "11".repeat(32))).toStrictEqual({
            version: 4,
            reason: "signature does not match the site key",
        })
        // one character of the policy text changed: forged
        const forged = with_({ policy: prep.text.replace("8001", "8002") })
        expect(reason(forged)!.reason).toBe(
            "signature does not match the site key"
        )
        expect(
            reason(with_({ policy: "x".repeat(MAX_POLICY_PAYLOAD) }))!.reason
        ).toMatch(/^policy message too large: \d+ bytes \(at most 4096\)$/)
    })

    test("size: the protocol's limit, and the size the board once ran out of memory on", () => {
        expect(sizeRefusal(4096, 0)).toBe("")
        expect(sizeRefusal(4097, 0)).toBe(
            "policy message too large: 4097 bytes (at most 4096)"
        )
        expect(sizeRefusal(2866, 2867)).toBe("")
        expect(sizeRefusal(2867, 2867)).toBe(
            "policy message too large: 2867 bytes (this board ran out of memory on one of 2867 bytes and restarted)"
        )
        expect(sizeRefusal(20000, 2867)).toMatch(/at most 4096/)
    })

    test("crash guard: one restart is a strike, a second on a message as large sets the limit", () => {
        // restarted while checking 3000 bytes: a strike, no limit yet
        let g = crashGuard(3000, 0, 0)
        expect(g).toEqual({ strike: 3000, limit: 0 })
        expect(sizeRefusal(3000, g.limit)).toBe("")
        // the retained message again, again a restart: refused from now on
        g = crashGuard(3000, g.strike, g.limit)
        expect(g).toEqual({ strike: 0, limit: 3000 })
        expect(sizeRefusal(3000, g.limit)).toMatch(/ran out of memory/)
        expect(sizeRefusal(2999, g.limit)).toBe("")
        // a restart on a smaller message is a new strike, the limit stays
        g = crashGuard(1000, g.strike, g.limit)
        expect(g).toEqual({ strike: 1000, limit: 3000 })
        // the smaller limit wins
        expect(crashGuard(1200, 1000, 3000)).toEqual({ strike: 0, limit: 1000 })
        // no restart during a check: nothing changes
        expect(crashGuard(0, 1000, 3000)).toEqual({ strike: 1000, limit: 3000 })
    })
})

describe("the VM test's HMAC and HKDF vectors (test/vm/syncVectors.ts)", () => {
    test("are what Node computes, and what `policy push` publishes", () => {
        const mac = (key: Buffer | string, data: string) =>
            createHmac("sha256", key).update(data, "utf8").digest("hex")
        expect(mac(V.RFC4231_KEY, V.RFC4231_DATA)).toBe(V.RFC4231_MAC)
        expect(
            boardKey(Buffer.from(V.SITE_KEY, "hex"), "desk-a")
        ).toStrictEqual(Buffer.from(V.BOARD_KEY, "hex"))
        expect(mac(Buffer.from(V.BOARD_KEY, "hex"), V.POLICY_TEXT)).toBe(
            V.POLICY_SIG
        )
        const file = join(TMP, "vector.policy.json")
        writeFileSync(
            file,
            JSON.stringify({
                version: 4,
                site: { name: "HQ 南京", areaCode: "025" },
                departments: [
                    { id: "admin", name: "人事行政部", floor: 3, x: 10, y: 4 },
                ],
                handsets: [
                    {
                        extension: "8001",
                        department: "admin",
                        allow: "domestic",
                    },
                ],
            })
        )
        const prep = preparePush(file, Buffer.from(V.SITE_KEY, "hex"), "hq")
        const m = boardMessage(prep, "desk-a", ["8001"])
        expect(m.text).toBe(V.POLICY_TEXT)
        expect(m.payload).toBe(V.POLICY_PAYLOAD)
    })
})

describe("reconnect backoff", () => {
    test("1 s, doubling, capped at 60 s; jitter within the upper half", () => {
        const nominal = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]
        nominal.forEach((n, attempt) => {
            expect(backoffMs(attempt, 0)).toBe(n / 2)
            expect(backoffMs(attempt, 0.999999)).toBe(n - 1)
            expect(backoffMs(attempt, 0.5)).toBe((n * 3) / 4)
        })
        expect(backoffMs(1000, 0.999999)).toBeLessThanOrEqual(BACKOFF_CAP_MS)
        expect(BACKOFF_FIRST_MS).toBe(1000)
    })

    test("boards restarting together spread out", () => {
        const delays = Array.from({ length: 20 }, (_, i) =>
            backoffMs(3, i / 20)
        )
        expect(new Set(delays).size).toBe(20)
        expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(3000)
    })
})

describe("board configuration: site, broker, siteKey", () => {
    const base = { board: "desk-a", ports: ["8001", "8101"] }
    const sync = {
        site: "hq",
        broker: { url: "mqtt://127.0.0.1:1883" },
        siteKey: KEY_HEX,
    }

    test("no broker: offline, as before", () => {
        const v = validateConfig(base)
        expect(v.errors).toStrictEqual([])
        expect(v.config!.sync).toBeUndefined()
    })

    test("mqtt:// and mqtts:// with default ports, login passed through", () => {
        expect(validateConfig({ ...base, ...sync }).config!.sync).toStrictEqual(
            {
                site: "hq",
                url: "mqtt://127.0.0.1:1883",
                host: "127.0.0.1",
                port: 1883,
                tls: false,
                username: undefined,
                password: undefined,
                siteKey: KEY_HEX,
            }
        )
        const tls = validateConfig({
            ...base,
            ...sync,
            siteKey: KEY_HEX.toUpperCase(),
            broker: {
                url: "mqtts://broker.example.cn",
                username: "desk-a",
                password: "s3cret",
            },
        }).config!.sync!
        expect(tls).toMatchObject({
            host: "broker.example.cn",
            port: 8883,
            tls: true,
            username: "desk-a",
            password: "s3cret",
            siteKey: KEY_HEX,
        })
        expect(parseBrokerUrl("mqtt://h")).toStrictEqual({
            host: "h",
            port: 1883,
            tls: false,
        })
        expect(parseBrokerUrl("mqtts://h:9999/")).toStrictEqual({
            host: "h",
            port: 9999,
            tls: true,
        })
    })

    test("every problem as path: reason", () => {
        const v = validateConfig({
            board: "Desk A",
            ports: ["8001"],
            site: "HQ",
            broker: { url: "http://x", user: "a", password: "p" },
            siteKey: "abc",
        })
        expect(v.config).toBeUndefined()
        expect(v.errors).toStrictEqual([
            "site: must be the site id, 1-64 characters a-z 0-9 -",
            "board: a board that syncs needs an id of 1-64 characters a-z 0-9 - (it is a topic level)",
            "siteKey: must be the site key, 64 hex digits",
            "broker.user: unknown key",
            "broker.password: needs broker.username",
            "broker.url: must start with mqtt:// or mqtts:// (TLS)",
        ])
        const partial = validateConfig({ ...base, site: "hq" })
        expect(partial.errors).toContain(
            "siteKey: must be the site key, 64 hex digits"
        )
        expect(partial.errors).toContain(
            "broker: must be {url, username?, password?}"
        )
        for (const [url, why] of [
            ["mqtt://", "needs a host"],
            ["mqtt://h:0", 'bad port "0"'],
            ["mqtt://h:65536", 'bad port "65536"'],
            ["mqtt://h:18x", 'bad port "18x"'],
            ["mqtt://u:p@h", "needs a host"],
            ["mqtt://h/dialguard", "needs a host"],
        ])
            expect(
                validateConfig({ ...base, ...sync, broker: { url } }).errors[0]
            ).toContain("broker.url: " + why)
    })
})

/** A settings store in memory; `failWrites` makes writes throw (flash full). */
class MemoryKV implements KeyValueStore {
    data: Record<string, string> = {}
    failWrites = false
    ops: string[] = []
    async read(key: string) {
        await Promise.resolve()
        return this.data[key]
    }
    async write(key: string, value: string) {
        await Promise.resolve()
        if (this.failWrites) throw new Error("settings flash full")
        this.ops.push("write " + key)
        this.data[key] = value
    }
    async remove(key: string) {
        await Promise.resolve()
        this.ops.push("remove " + key)
        delete this.data[key]
    }
}

function rec(seq: number, boot = 1): CallRecord {
    return {
        boot,
        seq,
        handset: "8001",
        number: "0101234567" + (seq % 10),
        category: "domestic",
        start: 1795749600 + seq,
        seconds: seq,
    }
}

describe("call record queue in flash", () => {
    test("a record is in flash when add() resolves, and gone after remove()", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv)
        const adding = q.add(rec(1))
        expect(q.first()).toBe(-1) // not sent before it is in flash
        await adding
        expect(q.first()).toBe(0)
        expect(JSON.parse(kv.data["rec0"]!)).toStrictEqual([
            1,
            1,
            "8001",
            "01012345671",
            "domestic",
            1795749601,
            1,
        ])
        await q.remove(0)
        expect(q.count).toBe(0)
        expect(q.first()).toBe(-1)
        expect(kv.data["rec0"]).toBeUndefined()
    })

    test("concurrent adds take different slots; a restart reads them back in order", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv)
        await Promise.all([q.add(rec(1)), q.add(rec(2)), q.add(rec(3))])
        expect(slots(q)).toStrictEqual([0, 1, 2])
        await q.remove(0)
        await q.add(rec(1, 2)) // next boot's first record: the next slot
        expect(kv.data["rec3"]).toContain("[2,1,")
        const again = new RecordQueue(kv)
        await again.load()
        expect(await bootSeq(again)).toStrictEqual([
            [1, 2],
            [1, 3],
            [2, 1],
        ])
        expect(again.first()).toBe(1)
    })

    test("the ring wraps: a restart finds the oldest after the wrap", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv, 4)
        for (let i = 1; i <= 4; ++i) await q.add(rec(i))
        await q.remove(0)
        await q.remove(1)
        await q.remove(2)
        await q.add(rec(5))
        await q.add(rec(6))
        expect(q.head).toBe(3)
        const again = new RecordQueue(kv, 4)
        await again.load()
        expect(again.head).toBe(3)
        expect((await bootSeq(again, 4)).map(r => r[1])).toStrictEqual([
            4, 5, 6,
        ])
        // only the oldest may go: the ring keeps its order
        await again.remove(0)
        expect(again.count).toBe(3)
    })

    test("bounded: the oldest is dropped and counted, in flash too", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv, 3)
        for (let i = 1; i <= 5; ++i) await q.add(rec(i))
        expect((await bootSeq(q, 3)).map(r => r[1])).toStrictEqual([3, 4, 5])
        expect(q.dropped).toBe(2)
        const again = new RecordQueue(kv, 3)
        await again.load()
        expect((await bootSeq(again, 3)).map(r => r[1])).toStrictEqual([
            3, 4, 5,
        ])
        expect(again.dropped).toBe(2)
        // measured: 64 records leave ~6.5 KB of the ESP32's settings flash
        // for the policy and counters (README, measurements)
        expect(MAX_RECORDS).toBe(64)
    })

    test("a call record of issue 11 round-trips through flash, compact", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv)
        const full: CallRecord = {
            ...rec(1, 117439385260141),
            number: "01012345678",
            start: 1795749600,
            seconds: 125,
            out: true,
            dial: "1790901012345678",
            answered: 1795749606,
            end: 1795749731,
            outcome: "answered",
            code: "",
            forExt: "",
            rings: 0,
            hops: 0,
        }
        const missed: CallRecord = {
            ...rec(2, 117439385260141),
            number: "13912345678",
            category: "incoming",
            start: 0, // before the board knew the time
            seconds: 0,
            out: false,
            dial: "",
            answered: 0,
            end: 0,
            outcome: "missed",
            code: "",
            forExt: "8000",
            rings: 7,
            hops: 2,
        }
        await q.add(full)
        await q.add(missed)
        expect(kv.data["rec0"]!.length).toBeLessThanOrEqual(120)
        const again = new RecordQueue(kv)
        await again.load()
        expect(
            await Promise.all(slots(again).map(s => readRecord(again, s)))
        ).toStrictEqual([full, missed])
        expect(encodeRecord(full)).toBe(kv.data["rec0"])
        // the wire message, straight from flash (PROTOCOL.md)
        const wire = await Promise.all(
            slots(again).map(s => again.message(s, "desk-a"))
        )
        // (without its "}": the sync signs and closes it)
        expect(wire.map(w => JSON.parse(w + "}"))).toStrictEqual([
            {
                board: "desk-a",
                handset: "8001",
                number: "01012345678",
                category: "domestic",
                start: 1795749600,
                seconds: 125,
                id: "desk-a-117439385260141-1",
                dial: "1790901062345678".replace("062345678", "012345678"),
                answered: 1795749606,
                end: 1795749731,
                outcome: "answered",
            },
            {
                board: "desk-a",
                handset: "8001",
                number: "13912345678",
                category: "incoming",
                start: 0,
                seconds: 0,
                id: "desk-a-117439385260141-2",
                dir: "in",
                outcome: "missed",
                for: "8000",
                rings: 7,
                hops: 2,
            },
        ])
        for (const w of wire)
            expect(checkCallRecord(JSON.parse(w + "}")).error).toBeUndefined()
    })

    test("a corrupt slot is removed at load", async () => {
        const kv = new MemoryKV()
        kv.data["rec4"] = "{broken"
        kv.data["rec5"] = JSON.stringify([
            1,
            9,
            "8001",
            "00852123",
            "international",
            0,
            0,
        ])
        const q = new RecordQueue(kv)
        await q.load()
        expect((await bootSeq(q)).map(r => r[1])).toStrictEqual([9])
        expect(kv.data["rec4"]).toBeUndefined()
    })

    test("flash full: the oldest record makes room, or the record is lost and counted; the error is reported", async () => {
        const kv = new MemoryKV()
        const q = new RecordQueue(kv)
        await q.add(rec(1))
        await q.add(rec(2))
        // full for one write: dropping the oldest makes room
        let fails = 1
        const write = kv.write.bind(kv)
        kv.write = async (k: string, v: string) => {
            if (fails-- > 0) throw new Error("settings flash full")
            await write(k, v)
        }
        await q.add(rec(3))
        expect((await bootSeq(q)).map(r => r[1])).toStrictEqual([2, 3])
        expect(q.dropped).toBe(1)
        // full for good: the new record is lost too, and counted
        fails = 1000
        await q.add(rec(4))
        expect(q.error).toContain("settings flash full")
        expect(q.dropped).toBe(3)
        fails = 0
        await q.add(rec(5))
        expect(q.error).toBe("")
    })

    test("boot numbers: counted on from flash; a fresh flash starts at a random 48-bit number, not 1", () => {
        expect(nextBoot(41, Buffer.alloc(6))).toBe(42)
        const fresh = nextBoot(0, Buffer.from("a1b2c3d4e5f6", "hex"))
        expect(fresh).toBe(0xa1b2c3d4e5f6 + 1)
        expect(nextBoot(0, Buffer.alloc(6))).toBe(1)
        expect(nextBoot(0, Buffer.alloc(6, 255))).toBe(2 ** 48)
        // two fresh flashes of one board: their ids differ
        const a = nextBoot(0, randomBytes(6))
        const b = nextBoot(0, randomBytes(6))
        expect(`desk-a-${a}-1`).not.toBe(`desk-a-${b}-1`)
    })
})

/** A fake MQTT client: `up` decides whether publish goes through. */
class FakeLink {
    up = true
    sent: { topic: string; payload: string; retain: boolean; at: number }[] = []
    busyOnce = false
    constructor(private clock: { now: number }) {}
    async publish(topic: string, parts: string | string[], retain: boolean) {
        const payload = typeof parts === "string" ? parts : parts.join("")
        await Promise.resolve()
        if (!this.up) return false
        if (this.busyOnce) {
            this.busyOnce = false
            return false
        }
        this.sent.push({ topic, payload, retain, at: this.clock.now })
        return true
    }
    topics() {
        return this.sent.map(s => s.topic.replace("dialguard/hq/desk-a/", ""))
    }
}

function rig() {
    const clock = { now: 100000 }
    const kv = new MemoryKV()
    const queue = new RecordQueue(kv)
    const counters = { months: ["2026-11"], n: 0 }
    let stateN = 0
    const src: OutboxSource = {
        stateTopic: "dialguard/hq/desk-a/state",
        callsTopic: "dialguard/hq/desk-a/calls",
        countersTopic: m => "dialguard/hq/desk-a/counters/" + m,
        state: () => "state " + ++stateN,
        counters: m => [m + " " + counters.n],
        months: () => counters.months,
        record: async (slot: number) =>
            "record " + (await readRecord(queue, slot))!.seq,
    }
    const box = new Outbox(src, queue, () => clock.now)
    const link = new FakeLink(clock)
    return { clock, kv, queue, counters, box, link }
}

describe("outbox", () => {
    test("on connect: state first, then every month's counters", async () => {
        const r = rig()
        r.counters.months = ["unknown", "2026-10", "2026-11"]
        r.box.connected()
        expect(await r.box.flush(r.link)).toBeGreaterThan(0) // heartbeat only
        expect(r.link.topics()).toStrictEqual([
            "state",
            "counters/unknown",
            "counters/2026-10",
            "counters/2026-11",
        ])
        expect(r.link.sent.map(s => s.retain)).toStrictEqual([
            true,
            true,
            true,
            true,
        ])
    })

    test("counters of a month at most once per COUNTERS_MIN_MS", async () => {
        const r = rig()
        r.box.connected()
        await r.box.flush(r.link)
        r.link.sent = []
        r.counters.n = 1
        r.box.countersChanged(["2026-11"])
        const wait = await r.box.flush(r.link)
        expect(r.link.sent).toStrictEqual([])
        expect(wait).toBe(COUNTERS_MIN_MS)
        r.clock.now += 500
        r.counters.n = 2
        r.box.countersChanged(["2026-11"])
        expect(await r.box.flush(r.link)).toBe(COUNTERS_MIN_MS - 500)
        r.clock.now += COUNTERS_MIN_MS - 500
        await r.box.flush(r.link)
        // one publish with the latest numbers
        expect(r.link.sent.map(s => s.payload)).toStrictEqual(["2026-11 2"])
    })

    test("a record leaves flash once the broker acknowledged it", async () => {
        const r = rig()
        r.box.connected()
        await r.box.flush(r.link)
        r.link.sent = []
        await r.queue.add(rec(1))
        await r.queue.add(rec(2))
        await r.box.flush(r.link)
        expect(r.link.topics()).toStrictEqual(["calls", "calls"])
        expect(r.link.sent.map(s => s.retain)).toStrictEqual([false, false])
        expect(r.link.sent.map(s => s.payload)).toStrictEqual([
            "record 1",
            "record 2",
        ])
        expect(r.queue.count).toBe(0)
        expect(r.kv.data["rec0"]).toBeUndefined()
        expect(r.kv.data["rec1"]).toBeUndefined()
    })

    test("no acknowledgement (connection lost): the record stays and goes again after the reconnect", async () => {
        const r = rig()
        r.box.connected()
        await r.box.flush(r.link)
        r.link.sent = []
        await r.queue.add(rec(7))
        r.link.up = false
        expect(await r.box.flush(r.link)).toBe(RETRY_MS)
        expect((await bootSeq(r.queue)).map(x => x[1])).toStrictEqual([7])
        expect(r.kv.data["rec0"]).toBeDefined()
        r.link.up = true
        r.box.connected()
        await r.box.flush(r.link)
        expect(r.link.sent.map(s => s.payload)).toStrictEqual([
            "state 2",
            "record 7",
            "2026-11 0",
        ])
        expect(r.queue.count).toBe(0)
    })

    test("a refused publish (client busy) is retried; nothing is lost", async () => {
        const r = rig()
        r.box.connected()
        r.link.busyOnce = true
        expect(await r.box.flush(r.link)).toBe(RETRY_MS)
        expect(r.link.sent).toStrictEqual([])
        await r.box.flush(r.link)
        expect(r.link.topics()).toStrictEqual(["state", "counters/2026-11"])
        r.box.countersChanged(["2026-11"])
        r.clock.now += COUNTERS_MIN_MS
        r.link.busyOnce = true
        expect(await r.box.flush(r.link)).toBe(RETRY_MS)
        await r.box.flush(r.link)
        expect(r.link.topics()).toStrictEqual([
            "state",
            "counters/2026-11",
            "counters/2026-11",
        ])
    })

    test("state again when it changes, and as a heartbeat", async () => {
        const r = rig()
        r.box.connected()
        await r.box.flush(r.link)
        r.link.sent = []
        r.box.stateChanged()
        await r.box.flush(r.link)
        expect(r.link.topics()).toStrictEqual(["state"])
        const wait = await r.box.flush(r.link)
        expect(wait).toBe(10 * 60000)
        r.clock.now += wait
        await r.box.flush(r.link)
        expect(r.link.topics()).toStrictEqual(["state", "state"])
    })
})

describe("the long-distance register: HandsetPort reports every long-distance call placed", () => {
    const raw = JSON.parse(
        readFileSync(
            new URL("../sim/policies/hq.policy.json", import.meta.url),
            "utf8"
        )
    )
    raw.site.outsideLinePrefix = "9"
    const policy = validPolicy(raw)
    const plan = compileDialPlan(policy)

    function port(ext: string) {
        const calls: (PortCall & { ext: string })[] = []
        const counted: number[] = []
        const rec: PortRecorder = {
            outgoing: (_e, _c, _n, seconds) => counted.push(seconds),
            blocked: () => {},
            incoming: () => {},
            callEnded: () => {},
            call: (e, c) => calls.push({ ext: e, ...c }),
        }
        const out: PortOutputs = {
            tone: () => {},
            ring: () => {},
            dial: () => {},
            answer: () => {},
            hangUp: () => {},
            redirect: () => {},
            log: () => {},
        }
        const p = new HandsetPort(ext, out, rec, CHINA_RING)
        p.setPolicy({
            plan,
            handset: plan.handsets.find(h => h.extension === ext)!,
            ringsBeforeForward: 3,
            forwardChain: () => [],
        })
        const dial = (digits: string, t: number) => {
            p.offHook(t)
            for (let i = 0; i < digits.length; ++i)
                p.key(digits.charAt(i), t + 100 * (i + 1))
            p.tick(t + 100 * digits.length + 20000)
        }
        return { p, calls, counted, dial }
    }

    test("answered: talk seconds; the number without outside-line or IP prefix", () => {
        const r = port("8001")
        r.dial("91790901062345678", 1000)
        expect(r.p.state).toBe("calling")
        r.p.remoteAnswered(30000)
        r.p.onHook(95500)
        expect(r.calls).toStrictEqual([
            {
                ext: "8001",
                out: true,
                number: "01062345678",
                dial: "1790901062345678",
                category: "domestic",
                start: 2700,
                answered: 30000,
                end: 95500,
                seconds: 65,
                outcome: "answered",
                code: "",
                forExt: "",
                rings: 0,
                hops: 0,
            },
        ])
        expect(r.counted).toStrictEqual([65])
    })

    test("not answered (busy, hung up while ringing, far end gone, unreachable): recorded with 0 s and the outcome, not counted", () => {
        const r = port("8101")
        r.dial("90085212345678", 0)
        r.p.callFailed(5000, 1)
        r.p.onHook(6000)
        r.dial("902062345678", 10000)
        r.p.onHook(20000)
        r.dial("901062345678", 30000)
        r.p.remoteHungUp(60000)
        r.p.onHook(61000)
        r.dial("901062345679", 70000)
        r.p.callFailed(75000, 3)
        expect(
            r.calls.map(c => [c.number, c.category, c.seconds, c.outcome])
        ).toStrictEqual([
            ["0085212345678", "international", 0, "busy"],
            ["02062345678", "domestic", 0, "noAnswer"],
            ["01062345678", "domestic", 0, "noAnswer"],
            ["01062345679", "domestic", 0, "unreachable"],
        ])
        expect(r.counted).toStrictEqual([])
    })

    test("every call is recorded: local, internal, refused with its code", () => {
        const r = port("8001")
        r.dial("952345678", 0)
        r.p.remoteAnswered(3000)
        r.p.onHook(9000)
        r.dial("8101#", 10000)
        r.p.onHook(12000)
        r.dial("90085212345678", 20000) // 8001 is domestic only: refused
        r.p.onHook(25000)
        expect(
            r.calls.map(c => [c.number, c.category, c.outcome, c.code, c.dial])
        ).toStrictEqual([
            ["52345678", "local", "answered", "", "52345678"],
            ["8101", "internal", "noAnswer", "", "8101"],
            ["90085212345678", "international", "refused", "class", ""],
        ])
        expect(r.counted).toStrictEqual([6])
    })

    test("incoming: answered after the caller's rings, missed, forwarded on (recorded by the next hop)", () => {
        const r = port("8001")
        // forwarded here from 8000 after its 3 rings; answered on ring 2 here
        r.p.incomingCall("13912345678", "8000", 1, 0)
        r.p.offHook(6000)
        r.p.onHook(66000)
        // the caller gives up on ring 3
        r.p.incomingCall("02552345678", "", 0, 100000)
        r.p.remoteHungUp(111000)
        expect(r.calls).toStrictEqual([
            {
                ext: "8001",
                out: false,
                number: "13912345678",
                dial: "",
                category: "incoming",
                start: 0,
                answered: 6000,
                end: 66000,
                seconds: 60,
                outcome: "answered",
                code: "",
                forExt: "8000",
                rings: 5,
                hops: 1,
            },
            {
                ext: "8001",
                out: false,
                number: "02552345678",
                dial: "",
                category: "incoming",
                start: 100000,
                answered: 0,
                end: 111000,
                seconds: 0,
                outcome: "missed",
                code: "",
                forExt: "",
                rings: 3,
                hops: 0,
            },
        ])
        const f = port("8001")
        f.p.setPolicy({
            plan,
            handset: plan.handsets.find(h => h.extension === "8001")!,
            ringsBeforeForward: 3,
            forwardChain: () => ["8001", "8000"],
        })
        f.p.incomingCall("13912345678", "", 0, 0)
        f.p.tick(16000)
        expect(f.p.state).toBe("idle")
        expect(f.calls).toStrictEqual([])
    })

    test("no policy while a new one is compiled: busy tone, nothing placed", () => {
        const r = port("8001")
        r.p.setPolicy(undefined as unknown as PortPolicy)
        r.p.offHook(0)
        expect(r.p.state).toBe("waitOnHook")
        r.p.onHook(1000)
        expect(r.p.state).toBe("idle")
    })
})

// The board's policy signature check in the DeviceScript VM: HMAC-SHA256
// from the runtime (devs/crypto/sha256.ts, and @devicescript/crypto for
// comparison) against vectors computed in Node (syncVectors.ts), on the
// path the firmware takes (devs/sync/sync.ts: payload bytes → lines →
// header → hmac over the policy text's lines → constant-time compare → the
// policy parsed line by line), and the call record queue over the real
// settings flash.
import { describe, expect, test } from "@devicescript/test"
import { digest, hmac, randomBuffer } from "@devicescript/crypto"
import { hkdf, sha256 } from "../../devs/crypto/sha256"
import { policyFromLines } from "../../devs/policy/policyLines"
import { SettingsStore } from "../../devs/store/settingsStore"
import { openEnvelope, stateMessage } from "../../devs/sync/protocol"
import { nextBoot, readRecord, RecordQueue } from "../../devs/sync/recordQueue"
import { configuredKey } from "../../devs/sync/boardKey"
import {
    BOARD_KEY,
    POLICY_HASH,
    POLICY_PAYLOAD,
    POLICY_SIG,
    POLICY_TEXT,
    RFC4231_DATA,
    RFC4231_KEY,
    RFC4231_MAC,
    SITE_KEY,
} from "./syncVectors"

describe("sync", () => {
    test("HMAC-SHA256: RFC 4231 case 2", () => {
        const mac = hmac(Buffer.from(RFC4231_KEY), "sha256", RFC4231_DATA)
        expect(mac.toString("hex")).toBe(RFC4231_MAC)
    })

    test("the board key: HKDF-SHA256 of the site key and the board id, as the host derives it", () => {
        const cfg = {
            site: "hq",
            url: "mqtt://b",
            host: "b",
            port: 1883,
            tls: false,
            siteKey: SITE_KEY,
        }
        const k = configuredKey(cfg, "desk-a")
        expect(k.toString("hex")).toBe(BOARD_KEY)
        expect(configuredKey(cfg, "desk-b").toString("hex") === BOARD_KEY).toBe(
            false
        )
        // a configuration from `dialguard flash` holds the board key itself
        const flashed = {
            ...cfg,
            siteKey: undefined as string,
            boardKey: BOARD_KEY,
        }
        expect(configuredKey(flashed, "desk-a").toString("hex")).toBe(BOARD_KEY)
    })

    test("HMAC-SHA256 of a policy text with Chinese names, key from 64 hex digits", () => {
        const key = Buffer.from(BOARD_KEY, "hex")
        expect(key.length).toBe(32)
        const mac = hmac(key, "sha256", POLICY_TEXT).toString("hex")
        expect(mac).toBe(POLICY_SIG)
    })

    test("the runtime's HMAC and HKDF (devs/crypto/sha256.ts) are the library's", () => {
        expect(
            sha256([RFC4231_DATA], Buffer.from(RFC4231_KEY)).toString("hex")
        ).toBe(RFC4231_MAC)
        expect(
            hkdf(
                Buffer.from(SITE_KEY, "hex"),
                "dialguard board key desk-a"
            ).toString("hex")
        ).toBe(BOARD_KEY)
        expect(sha256(["ab", "c"]).toString("hex")).toBe(
            digest("sha256", "abc").toString("hex")
        )
    })

    test("a pushed policy message: header opened, signature of its lines matches, policy parsed line by line", () => {
        // the payload in lines, each with its "\n" (as sync.ts cuts it)
        const lines: string[] = []
        let from = 0
        for (;;) {
            const nl = POLICY_PAYLOAD.indexOf("\n", from)
            if (nl < 0) break
            lines.push(POLICY_PAYLOAD.slice(from, nl + 1))
            from = nl + 1
        }
        lines.push(POLICY_PAYLOAD.slice(from))
        const o = openEnvelope(lines.shift(), "hq", "desk-a")
        expect(o.refusal).toBe(undefined)
        expect(o.env.version).toBe(4)
        expect(lines.join("")).toBe(POLICY_TEXT)
        const key = Buffer.from(BOARD_KEY, "hex")
        const mac = sha256(lines, key).toString("hex")
        expect(mac).toBe(o.env.sig)
        // signed with the site key itself: not this board's key
        const other = Buffer.from(SITE_KEY, "hex")
        const bad = sha256(lines, other).toString("hex")
        expect(bad === o.env.sig).toBe(false)
        // the policy, line by line, is the JSON text's document
        const p = policyFromLines(lines)
        expect(JSON.stringify(p)).toBe(JSON.stringify(JSON.parse(POLICY_TEXT)))
        expect(p.site.name).toBe("HQ 南京")
        expect(p.handsets[0].extension).toBe("8001")
        expect(p.forward[""]).toBe("8001")
        // in pieces cut anywhere (the flash store's chunks: a line in
        // several, several lines in one), or compact JSON
        const pieces: string[] = []
        for (let i = 0; i < POLICY_TEXT.length; i += 7)
            pieces.push(POLICY_TEXT.slice(i, i + 7))
        expect(JSON.stringify(policyFromLines([POLICY_TEXT]))).toBe(
            JSON.stringify(p)
        )
        expect(JSON.stringify(policyFromLines(pieces))).toBe(JSON.stringify(p))
        // (the lines without their "\n": compact JSON, as a board's flash
        // holds it from firmware before the lines)
        let compact = ""
        for (const l of lines)
            compact += l.charAt(l.length - 1) === "\n" ? l.slice(0, -1) : l
        expect(JSON.stringify(policyFromLines([compact]))).toBe(
            JSON.stringify(p)
        )
    })

    test("refusals in the VM", () => {
        expect(openEnvelope("{x", "hq", "desk-a").refusal.reason).toBe(
            "policy message is not JSON"
        )
        const header = POLICY_PAYLOAD.slice(0, POLICY_PAYLOAD.indexOf("\n") + 1)
        expect(openEnvelope(header, "branch", "desk-a").refusal.version).toBe(4)
        expect(openEnvelope(header, "hq", "desk-b").refusal.reason).toBe(
            'policy message for board "desk-a", this is desk-b'
        )
    })

    test("state message keys in protocol order, the policy named by the hash Node computes", () => {
        const s = stateMessage({
            board: "desk-a",
            handsets: ["8001", "8002"],
            policyVersion: 4,
            // as the board hashes the text it enforces (Board.enforce)
            policyHash: digest("sha256", POLICY_TEXT).toString("hex"),
            lastError: "",
            ts: 0,
            droppedRecords: 0,
        })
        expect(s).toBe(
            '{"board":"desk-a","handsets":["8001","8002"],"policyVersion":4,"policyHash":"' +
                POLICY_HASH +
                '","firmware":"0.1.0","lastError":"","ts":0}'
        )
    })

    test("a fresh boot count is a random 48-bit number, exact in JSON and back", () => {
        const a = nextBoot(0, randomBuffer(6))
        const b = nextBoot(0, randomBuffer(6))
        expect(a === b).toBe(false)
        expect(a >= 1 && a <= 281474976710656).toBe(true)
        const id = "desk-a-" + a + "-1"
        expect(JSON.parse(JSON.stringify({ id })).id).toBe(id)
        expect(parseInt("" + a)).toBe(a)
        expect(nextBoot(parseInt("" + a), randomBuffer(6))).toBe(a + 1)
    })

    test("call records survive in the settings flash", async () => {
        const kv = new SettingsStore()
        const q = new RecordQueue(kv, 3)
        await q.add({
            boot: 2,
            seq: 1,
            handset: "8001",
            number: "01012345678",
            category: "domestic",
            start: 1795749600,
            seconds: 0,
        })
        await q.add({
            boot: 2,
            seq: 2,
            handset: "8001",
            number: "0085212345678",
            category: "international",
            start: 0,
            seconds: 61,
        })
        const again = new RecordQueue(kv, 3)
        await again.load()
        expect(again.count).toBe(2)
        expect((await readRecord(again, again.head + 1))?.number).toBe(
            "0085212345678"
        )
        await again.remove(again.head)
        const third = new RecordQueue(kv, 3)
        await third.load()
        expect(third.count).toBe(1)
        expect((await readRecord(third, third.head)).seq).toBe(2)
    })
})

// The board's MQTT client against a hostile broker (test/hostileBroker.ts,
// a TCP server on loopback): the REAL firmware in the simulator gets its
// policy once, then over some fifty connections well over 1000 adversarial
// frames — forged and oversize retained policies, QoS 0 floods, stray
// acknowledgements, then on each connection one frame no broker may send
// (bad remaining-length encodings, lengths beyond the frame, truncated
// packets, wrong packet types and flags, PUBLISH with broken topic lengths
// or on another topic, a second CONNACK) — and CONNACK refusals. The board
// never restarts, closes each broken connection itself, reconnects with
// backoff, and keeps enforcing its policy. Figures go to
// .devicescript/sim/hostile-e2e.measurements.json.
//
// Slow (~2 min); DIALGUARD_SKIP_SIM=1 skips it.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SimSession } from "../sim/session"
import { BACKOFF_FIRST_MS } from "../devs/sync/backoff"
import {
    Conn,
    CONNACK_OK,
    frame,
    HostileBroker,
    publish,
    varInt,
} from "./hostileBroker"
import { envelope, ROOT, startSyncedBoard } from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const SITE = "hq"
const BOARD = "desk-a"
const KEY_HEX = "3c".repeat(32)
const POLICY = `dialguard/${SITE}/${BOARD}/policy`
const HQ = JSON.parse(
    readFileSync(join(ROOT, "sim", "policies", "hq.policy.json"), "utf8")
)
const V1 = envelope(SITE, JSON.stringify({ ...HQ, version: 1 }), 1, KEY_HEX)
/** Signed with another board's key: a board must refuse it. */
const FORGED = envelope(
    SITE,
    JSON.stringify({ ...HQ, version: 9 }),
    9,
    KEY_HEX,
    {},
    "desk-b"
)

/** Frames no broker may send this client; each one must end the connection. */
const BROKEN: { name: string; bytes: Buffer; truncated?: boolean }[] = [
    // remaining length of five bytes (at most four)
    {
        name: "5-byte remaining length",
        bytes: Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    },
    {
        name: "PINGRESP of 4 length bytes, 200 MB",
        bytes: Buffer.from([0xd0, 0xff, 0xff, 0xff, 0x7f]),
    },
    {
        name: "topic length beyond the frame",
        bytes: Buffer.from([0x30, 0x04, 0x00, 0x10, 0x61, 0x62]),
    },
    {
        name: "topic length 65535",
        bytes: Buffer.from([0x32, 0x05, 0xff, 0xff, 0x61, 0x00, 0x01]),
    },
    {
        name: "topic length 0",
        bytes: Buffer.from([0x30, 0x04, 0x00, 0x00, 0x7b, 0x7d]),
    },
    { name: "packet type 0", bytes: Buffer.from([0x00, 0x00]) },
    { name: "packet type 15", bytes: Buffer.from([0xf0, 0x00]) },
    {
        name: "CONNECT to a client",
        bytes: frame(0x10, [0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 0]),
    },
    {
        name: "SUBACK with flags 1",
        bytes: Buffer.from([0x91, 0x03, 0x00, 0x01, 0x01]),
    },
    { name: "PINGRESP with flags 2", bytes: Buffer.from([0xd2, 0x00]) },
    { name: "a second CONNACK", bytes: CONNACK_OK },
    { name: "PUBLISH QoS 3", bytes: publish(POLICY, "{}", { qos: 3 }) },
    { name: "PUBLISH QoS 2", bytes: publish(POLICY, "{}", { qos: 2 }) },
    {
        name: "PUBLISH QoS 1 with packet id 0",
        bytes: publish(POLICY, "{}", { qos: 1, id: 0 }),
    },
    {
        name: "PUBLISH on another board's topic",
        bytes: publish(`dialguard/${SITE}/desk-b/policy`, V1, { qos: 1 }),
    },
    { name: "PUBACK of 300 bytes", bytes: frame(0x40, Buffer.alloc(300)) },
    { name: "PUBACK of 1 byte", bytes: frame(0x40, [1]) },
    // truncated: the header promises more than ever comes, then silence
    {
        name: "truncated PUBLISH",
        bytes: Buffer.from([0x30, 0x64, 0x00, 0x05, 0x61]),
        truncated: true,
    },
    {
        name: "truncated remaining length",
        bytes: Buffer.from([0x30, 0x80, 0x80]),
        truncated: true,
    },
    {
        name: "PUBLISH announcing 60 KB, 1 KB sent",
        bytes: Buffer.concat([
            Buffer.from([0x30, ...varInt(60000), 0x00, POLICY.length]),
            Buffer.from(POLICY),
            Buffer.alloc(1000, 0x41),
        ]),
        truncated: true,
    },
]

/** Valid frames a hostile broker may still send, to be taken in stride. */
function adversarial(i: number): Buffer {
    switch (i % 6) {
        case 0: // a forged policy, retained
            return publish(POLICY, FORGED, { qos: 1, retain: true, id: 1 + i })
        case 1: // garbage at QoS 0
            return publish(POLICY, "{", { retain: true })
        case 2: // an oversize (40 KB) policy message, read past
            return publish(POLICY, Buffer.alloc(40000, 0x7b), {
                qos: 1,
                id: 1 + i,
            })
        case 3: // acknowledgements of nothing
            return frame(0x40, [0x7f, 0x7f])
        case 4:
            return frame(0x90, [0x7f, 0x7f, 0x01])
        default:
            return frame(0xd0, [])
    }
}

const ROUNDS = 45
const PER_ROUND = 24
const REFUSALS = 4

describe.skipIf(skip)("the board's MQTT client, hostile broker", () => {
    let s: SimSession
    let gotPolicy = false
    const measured: Record<string, unknown> = {}
    const roundsDone: { name: string; closedByBoard: boolean }[] = []
    let hostile: HostileBroker

    /** What the server does with connection `c`. */
    async function script(c: Conn) {
        const connect = await c.next(p => p.type === 1)
        if (!connect) return
        if (connect.level === 5) {
            // a 3.1.1 broker: "unacceptable protocol version"
            c.send(frame(0x20, [0, 1]))
            return
        }
        if (!gotPolicy) {
            // a good broker once: the policy, then the board's answer
            c.send(CONNACK_OK)
            await c.next(p => p.type === 8)
            c.send(publish(POLICY, V1, { qos: 1, retain: true, id: 7 }))
            const st = await c.next(
                p =>
                    p.type === 3 && /"policyVersion":1/.test(String(p.payload)),
                60000
            )
            gotPolicy = !!st
            return
        }
        const round = roundsDone.length
        if (round < REFUSALS) {
            c.send(frame(0x20, [0, 5])) // not authorized
            roundsDone.push({
                name: "CONNACK refusal",
                closedByBoard: await c.closeAfter(15000),
            })
            return
        }
        c.send(CONNACK_OK)
        if (!(await c.next(p => p.type === 8))) return
        // the board's online message acknowledged: a connection that
        // counts as made (its backoff starts again at 1 s)
        await c.next(p => p.type === 3 && p.topic!.endsWith("/online"))
        // all at once, as fast as the socket takes them
        for (let i = 0; i < PER_ROUND; i++)
            c.send(adversarial(round * PER_ROUND + i))
        const broken = BROKEN[round % BROKEN.length]
        c.send(broken.bytes)
        roundsDone.push({
            name: broken.name,
            // the board ends it (truncated: only its silence timer would,
            // 45 s; the server hangs up after 3 s)
            closedByBoard: await c.closeAfter(broken.truncated ? 3000 : 20000),
        })
    }

    beforeAll(async () => {
        hostile = new HostileBroker(script)
        await hostile.start()
        mkdirSync(OUT, { recursive: true })
        s = await startSyncedBoard({
            ports: ["8001", "8101"],
            board: BOARD,
            logFile: join(OUT, "hostile-e2e.log"),
            site: SITE,
            url: hostile.url,
            key: KEY_HEX,
        })
    }, 10 * 60000)

    afterAll(async () => {
        writeFileSync(
            join(OUT, "hostile-e2e.measurements.json"),
            JSON.stringify(measured, null, 2) + "\n"
        )
        console.log("hostile e2e: " + JSON.stringify(measured))
        await s?.stop()
        await hostile?.stop()
    }, 60000)

    test(
        `${ROUNDS} hostile connections, ≥1000 frames: no restart, reconnects with backoff, v1 enforced`,
        async () => {
            const starts = s.starts
            const end = Date.now() + 15 * 60000
            while (roundsDone.length < REFUSALS + ROUNDS && Date.now() < end)
                await new Promise(r => setTimeout(r, 200))
            expect(roundsDone.length).toBe(REFUSALS + ROUNDS)
            expect(gotPolicy).toBe(true)

            // the refusals: each reconnect waits longer (backoff: attempt k
            // after the last good connection waits at least half of
            // 1 s × 2^k, devs/sync/backoff.ts)
            const refusedAt = hostile.conns
                .filter(c => c.sent === 1 && c.packets[0]?.level === 4)
                .slice(0, REFUSALS + 1)
                .map(c => c.t)
            const gaps = refusedAt.slice(1).map((t, i) => t - refusedAt[i])
            expect(gaps.length).toBe(REFUSALS - 1)
            for (let i = 0; i < gaps.length; i++)
                expect(gaps[i]).toBeGreaterThanOrEqual(
                    (BACKOFF_FIRST_MS * 2 ** (i + 1)) / 2
                )

            const broken = roundsDone.slice(REFUSALS)
            const notClosed = broken.filter(
                r =>
                    !r.closedByBoard &&
                    !BROKEN.find(b => b.name === r.name)!.truncated
            )
            measured["framesSent"] = hostile.framesSent
            measured["connections"] = hostile.conns.length
            measured["refusalGapsMs"] = gaps
            measured["closedByTheBoard"] = broken.filter(
                r => r.closedByBoard
            ).length
            measured["notClosedByTheBoard"] = notClosed.map(r => r.name)
            expect(hostile.framesSent).toBeGreaterThanOrEqual(1000)
            expect(notClosed).toStrictEqual([])
            expect(s.starts).toBe(starts)
            expect(s.problems).toStrictEqual([])
            expect(await s.admin.policyVersion()).toBe(1)
        },
        20 * 60000
    )
})

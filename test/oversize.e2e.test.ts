// Oversize and flood messages on a board's policy topic, end to end: the
// REAL firmware in the simulator (whose socket reads are the ESP32
// runtime's: 128-byte pieces, one TCP window per step, sim/vmWorker.mjs)
// against mosquitto (the board speaks MQTT 5 and sets Maximum Packet Size:
// the broker drops larger messages for it) and aedes (MQTT 3.1.1 only: the
// board falls back and refuses a large payload from its header, skipping
// its bytes). Signed messages of 6.9, 24 and 38 KB, retained and not, and
// floods: the board never restarts, keeps enforcing its policy, and what it
// refused itself it reports on its state topic, also after a restart.
// Figures go to .devicescript/sim/oversize-e2e-<broker>.measurements.json.
//
// Slow (~2 min per broker); DIALGUARD_SKIP_SIM=1 skips it.

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
import { BrokerKind, findMosquitto, REQUIRE_MOSQUITTO } from "./brokerChoice"
import {
    envelope,
    ROOT,
    sleep,
    startBroker,
    TestBroker,
    Watcher,
    startSyncedBoard,
} from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const SITE = "hq"
const BOARD = "desk-a"
const KEY_HEX = "5a".repeat(32)
const OTHER_KEY_HEX = "77".repeat(32)
const T = (name: string) => `dialguard/${SITE}/${BOARD}/${name}`
const STATE = T("state")
const POLICY = T("policy")
const HQ = JSON.parse(
    readFileSync(join(ROOT, "sim", "policies", "hq.policy.json"), "utf8")
)

/** A validly signed whole-site policy message of about `bytes` bytes. */
function signedOfSize(version: number, bytes: number): string {
    const p = structuredClone(HQ)
    p.version = version
    let text = JSON.stringify(p)
    const pad =
        bytes - Buffer.byteLength(envelope(SITE, text, version, KEY_HEX))
    if (pad > 0) {
        p.handsets[0].name = "x".repeat(pad)
        text = JSON.stringify(p)
    }
    return envelope(SITE, text, version, KEY_HEX)
}

// Both brokers: on MQTT 3.1.1 (aedes) the board itself refuses large
// payloads from their header and reads floods of 4 KB messages in 128-byte
// pieces, a line of at most 1024 bytes at a time (before the policy text
// was read in lines, the next policy message's 4 KB text then failed to
// fit the fragmented heap).
const brokers: BrokerKind[] = []
if (findMosquitto() || process.env[REQUIRE_MOSQUITTO] === "1")
    brokers.push("mosquitto")
brokers.push("aedes")

describe
    .skipIf(skip || brokers.length === 0)
    .each(brokers.length ? brokers : (["mosquitto"] as BrokerKind[]))(
    "oversize policy messages, real firmware and %s",
    kind => {
        const TMP = mkdtempSync(join(tmpdir(), `dialguard-oversize-${kind}-`))
        let broker: TestBroker
        let watcher: Watcher
        let s: SimSession
        let marker = 100
        const measured: Record<string, unknown> = {}

        /**
         * A small refused message after what was published: the board answers
         * messages in order, so its answer to this one says every message
         * before it went through (refused by the board, or dropped by the
         * broker). Retained, so that a board reconnecting (after closing
         * a flooded connection) gets it too. Returns the states since `t0`.
         */
        async function settle(t0: number, retain = true) {
            const v = ++marker
            await watcher.publish(
                POLICY,
                envelope(
                    SITE,
                    JSON.stringify({ ...HQ, version: v }),
                    v,
                    OTHER_KEY_HEX
                ),
                retain
            )
            await watcher.wait(
                STATE,
                t0,
                x => x.rejected?.version === v,
                120000
            )
            return watcher.parsed(STATE, t0).map(m => m.value)
        }

        beforeAll(async () => {
            broker = await startBroker(kind, TMP)
            watcher = new Watcher(broker.url, SITE, `oversize-${kind}-watcher`)
            await watcher.start()
            mkdirSync(OUT, { recursive: true })
            s = await startSyncedBoard({
                ports: ["8001", "8101"],
                board: BOARD,
                logFile: join(OUT, `oversize-e2e-${kind}.log`),
                site: SITE,
                url: broker.url,
                key: KEY_HEX,
            })
            const t0 = Date.now()
            await watcher.publish(
                POLICY,
                envelope(
                    SITE,
                    JSON.stringify({ ...HQ, version: 1 }),
                    1,
                    KEY_HEX
                ),
                true
            )
            await watcher.wait(STATE, t0, v => v.policyVersion === 1, 60000)
        }, 10 * 60000)

        afterAll(async () => {
            writeFileSync(
                join(OUT, `oversize-e2e-${kind}.measurements.json`),
                JSON.stringify(measured, null, 2) + "\n"
            )
            console.log(`oversize e2e (${kind}): ` + JSON.stringify(measured))
            await s?.stop()
            watcher?.client.end(true)
            await broker?.stop()
            rmSync(TMP, { recursive: true, force: true })
        }, 60000)

        const TOO_LARGE = /refused: policy message too large/
        const REFUSED = / refused: /
        const vmLines = (re: RegExp) =>
            s.rec.select("vm").filter(e => re.test(String(e.line))).length

        test(
            "signed 6.9, 24 and 38 KB messages, retained and not: no restart, v1 stays",
            async () => {
                const starts = s.starts
                const seen: Record<string, string> = {}
                for (const bytes of [6900, 24000, 38000])
                    for (const retain of [false, true]) {
                        const payload = signedOfSize(2, bytes)
                        const t0 = Date.now()
                        const before = vmLines(TOO_LARGE)
                        await watcher.publish(POLICY, payload, retain)
                        // MQTT 3.1.1: the board refuses it and says so
                        if (kind === "aedes")
                            await watcher.wait(
                                STATE,
                                t0,
                                v => /too large/.test(v.rejected?.reason ?? ""),
                                60000
                            )
                        await settle(t0, false)
                        // which layer stopped it: the board (its log says
                        // so) or the broker (MQTT 5 Maximum Packet Size:
                        // never sent to the board)
                        seen[`${payload.length}${retain ? " retained" : ""}`] =
                            vmLines(TOO_LARGE) > before
                                ? "refused by the board"
                                : "not sent by the broker"
                        if (retain) {
                            // taken back, and the board said so, before the
                            // next one (on MQTT 3.1.1 the board refuses a
                            // large payload as its header arrives, before
                            // it has worked through the messages queued)
                            const t1 = Date.now()
                            await watcher.publish(POLICY, "", true)
                            await watcher.wait(STATE, t1, v => !v.rejected)
                        }
                    }
                measured["layers"] = seen
                expect(s.starts).toBe(starts)
                expect(await s.admin.policyVersion()).toBe(1)
                expect(s.problems).toStrictEqual([])
            },
            10 * 60000
        )

        test(
            "floods: 200 messages of 4 KB and 30 of 38 KB back to back, then a retained 38 KB one at reconnect: no restart",
            async () => {
                const starts = s.starts
                const t0 = Date.now()
                // forged (another key): a flood that must change nothing
                const small = signedOfSize(3, 4000).replace(
                    /"sig":"[0-9a-f]+"/,
                    `"sig":"${"0".repeat(64)}"`
                )
                const big = signedOfSize(3, 38000)
                const sends: Promise<unknown>[] = []
                for (let i = 0; i < 200; i++)
                    sends.push(watcher.publish(POLICY, i % 2 ? small : "{"))
                for (let i = 0; i < 30; i++)
                    sends.push(watcher.publish(POLICY, big))
                const refused = vmLines(REFUSED)
                await Promise.all(sends)
                await settle(t0)
                measured["flood"] = {
                    messages: 230,
                    bytes: 100 * 4000 + 100 + 30 * big.length,
                    ms: Date.now() - t0,
                    policyMessagesRefused: vmLines(REFUSED) - refused,
                }
                // retained: the broker (or the board) meets it again at every
                // connect; the board restarted: it reconnects and meets it first
                await watcher.publish(POLICY, big, true)
                await s.restart()
                expect(await s.waitPortsReady()).toStrictEqual([])
                const t1 = Date.now()
                await settle(t1)
                expect(s.starts).toBe(starts + 1) // the restart above only
                expect(await s.admin.policyVersion()).toBe(1)
                expect(s.problems).toStrictEqual([])
                await watcher.publish(POLICY, "", true)
            },
            10 * 60000
        )

        test(
            "a refusal (rejected, lastError) survives a restart",
            async () => {
                // nothing retained on the topic: only the flash can say it
                await watcher.publish(POLICY, "", true)
                const t0 = Date.now()
                const states = await settle(t0, false)
                const last = states[states.length - 1]
                expect(last.lastError).toBe(`policy v${marker} refused`)
                const t1 = Date.now()
                await s.restart()
                expect(await s.waitPortsReady()).toStrictEqual([])
                const st = await watcher.wait(
                    STATE,
                    t1,
                    v => v.board === BOARD,
                    60000
                )
                expect(st.value.rejected).toStrictEqual(last.rejected)
                // the refusal, or, when the restart caught the flash mark
                // of that message's check still there (seen once in CI, cause
                // not found), what the board's crash guard says of it: a
                // newer error; the refusal itself survives either way
                expect([
                    `policy v${marker} refused`,
                    `restarted while checking a ${Buffer.byteLength(
                        envelope(
                            SITE,
                            JSON.stringify({ ...HQ, version: marker }),
                            marker,
                            OTHER_KEY_HEX
                        )
                    )}-byte policy message`,
                ]).toContain(st.value.lastError)
                expect(st.value.policyVersion).toBe(1)
            },
            5 * 60000
        )
    }
)

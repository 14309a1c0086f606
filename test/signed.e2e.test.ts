// Signed board messages end to end (issue 13): the REAL firmware
// (devs/main.ts) in the simulator signs its state, counters and call
// records with its board key and a counter that only grows; a REAL broker
// (mosquitto where installed, else aedes); the REAL CLI verifies them:
// `status --key`, `report --key` and `collect --key` refuse forged,
// unsigned, moved and replayed messages published from outside (as with
// mosquitto_pub: an MQTT client of the test) and name the board, while the
// genuine messages of the board verify and a resend of a stored record is
// a harmless duplicate. `collect` keeps its replay counter across a
// restart; `policy push` uses only states that verify (a forged retained
// state gets its board nothing, a forged answer is not "applied").
// Figures: .devicescript/sim/signed-e2e.measurements.json.
//
// ~1.2 min; DIALGUARD_SKIP_SIM=1 skips it.

import { ChildProcess, spawn } from "node:child_process"
import {
    existsSync,
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
import { openSigned } from "../src/fleet/boardSig"
import { boardKey, policyHash, sign } from "../src/fleet/sign"
import { recordsIn } from "./callsDb"
import { testBrokerKind } from "./brokerChoice"
import {
    dialguard,
    handsets,
    ROOT,
    SIM_MONTH,
    SIM_START,
    sleep,
    startBroker,
    stopChild,
    TestBroker,
    Watcher,
    startSyncedBoard,
    retainedOn,
    parseMessage,
} from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const BROKER = testBrokerKind()
const TMP = mkdtempSync(join(tmpdir(), "dialguard-signed-e2e-"))
const SITE = "hq"
const BOARD = "desk-a"
const KEY_HEX =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
const KEY = Buffer.from(KEY_HEX, "hex")
const KEY_FILE = join(TMP, "hq.key")
const MONTH = SIM_MONTH
const T = (name: string) => `dialguard/${SITE}/${name}`
const STATE = T(`${BOARD}/state`)
const COUNTERS = T(`${BOARD}/counters/${MONTH}`)
const CALLS = T(`${BOARD}/calls`)
const CALLS_DIR = join(TMP, "calls")

let broker: TestBroker
/** Written to .devicescript/sim/signed-e2e.measurements.json. */
const measured: Record<string, number | string> = {}
let watcher: Watcher
let collector: ChildProcess
let collectorLog = ""
let s: SimSession
const { dial, hangUp, expectStep } = handsets(() => s)

/** The first state, counters after call 1 and 2, as the board sent them. */
let firstState = ""
let counters1 = ""
let counters2 = ""
let record1 = ""

async function cli(args: string[], key = true) {
    return dialguard([
        ...args,
        "--broker",
        broker.url,
        "--site",
        SITE,
        ...(key ? ["--key", KEY_FILE] : []),
        "--json",
    ])
}

async function report(key = true) {
    const r = await cli(["report", "--month", MONTH], key)
    return { ...r, rep: JSON.parse(r.stdout) }
}

async function status() {
    const r = await cli(["status"])
    return { ...r, st: JSON.parse(r.stdout) }
}

function calls8001(rep: any, category = "domestic"): number {
    return (
        rep.handsets.find((h: any) => h.extension === "8001")?.calls[
            category
        ] ?? 0
    )
}

/** Waits for `re` in the collector's log (its stderr and stdout). */
async function collectorSays(re: RegExp, timeoutMs = 20000) {
    const end = Date.now() + timeoutMs
    while (!re.test(collectorLog)) {
        if (Date.now() > end)
            throw new Error(
                `the collector did not log ${re} within ${timeoutMs} ms; its log:\n${collectorLog}`
            )
        await sleep(20)
    }
}

/** Starts `dialguard collect --key` on CALLS_DIR; its log starts anew. */
async function startCollector() {
    collectorLog = ""
    collector = spawn(
        process.execPath,
        [
            join(ROOT, "bin", "dialguard.mjs"),
            "collect",
            "--broker",
            broker.url,
            "--site",
            SITE,
            "--out",
            CALLS_DIR,
            "--key",
            KEY_FILE,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }
    )
    collector.stdout!.setEncoding("utf8").on("data", d => (collectorLog += d))
    collector.stderr!.setEncoding("utf8").on("data", d => (collectorLog += d))
    await collectorSays(/collecting the call records of site hq/)
}

/** Waits until the board has published no state for 500 ms. */
async function boardQuiet() {
    for (;;) {
        const last = watcher.seen.filter(m => m.topic === STATE).pop()
        if (!last || Date.now() - last.t > 500) return
        await sleep(100)
    }
}

/** A long-distance call from 8001, answered and hung up. */
async function call() {
    await dial("8001", "01062345678")
    await expectStep({
        expectDialled: { port: "8001", number: "1790901062345678" },
    })
    await sleep(1500)
    await hangUp("8001")
}

/** A message as a board signs it, with any key and counter. */
function signedAs(key: Buffer, topic: string, value: object, n: number[]) {
    const text = JSON.stringify(value)
    const nf = `,"n":[${n}]`
    return text.slice(0, -1) + nf + `,"sig":"${sign(key, topic + text + nf)}"}`
}

describe.skipIf(skip)(
    `signed board messages, real firmware and ${BROKER}`,
    () => {
        beforeAll(async () => {
            writeFileSync(KEY_FILE, KEY_HEX + "\n", { mode: 0o600 })
            broker = await startBroker(BROKER, TMP)
            watcher = new Watcher(broker.url, SITE, "signed-e2e-watcher")
            await watcher.start()
            await startCollector()
            mkdirSync(OUT, { recursive: true })
            s = await startSyncedBoard({
                ports: ["8001", "8101"],
                board: BOARD,
                logFile: join(OUT, "signed-e2e.log"),
                startTime: SIM_START,
                site: SITE,
                url: broker.url,
                key: KEY_HEX,
            })
            s.exchange.outside = { answerAfterMs: 300 }
        }, 20 * 60000)

        afterAll(async () => {
            if (Object.keys(measured).length)
                writeFileSync(
                    join(OUT, "signed-e2e.measurements.json"),
                    JSON.stringify(measured, null, 2) + "\n"
                )
            await s?.stop()
            await stopChild(collector)
            watcher?.client.end(true)
            await broker?.stop()
            rmSync(TMP, { recursive: true, force: true })
        }, 60000)

        test("the board's genuine state, counters and record verify: status, report, collect", async () => {
            const st = await watcher.wait(STATE, 0, v => v.board === BOARD)
            firstState = st.text
            // signed with desk-a's own key, bound to its state topic
            const o = openSigned(STATE, st.text, boardKey(KEY, BOARD))
            expect(o.status, o.error).toBe("signed")
            expect(o.n![0]).toBeGreaterThan(0) // the boot number
            expect(
                openSigned(T("desk-b/state"), st.text, boardKey(KEY, BOARD))
                    .status
            ).toBe("forged")
            const push = await dialguard([
                "policy",
                "push",
                join(ROOT, "sim", "policies", "hq.policy.json"),
                "--broker",
                broker.url,
                "--key",
                KEY_FILE,
                "--site",
                SITE,
                "--timeout",
                "20s",
            ])
            expect(push.code, push.stdout + push.stderr).toBe(0)
            const t0 = Date.now()
            await call()
            const c = await watcher.wait(
                COUNTERS,
                t0,
                v => v.handsets?.["8001"]?.calls?.domestic === 1
            )
            counters1 = c.text
            expect(
                openSigned(COUNTERS, c.text, boardKey(KEY, BOARD)).status
            ).toBe("signed")
            const rec = await watcher.wait(
                CALLS,
                t0,
                v => v.category === "domestic"
            )
            record1 = rec.text
            await collectorSays(new RegExp(rec.value.id))
            // stored without its "n" and "sig"
            const stored = recordsIn(CALLS_DIR)
            expect(stored.map(r => r.id)).toStrictEqual([rec.value.id])
            expect(stored[0]).not.toHaveProperty("sig")
            expect(stored[0]).not.toHaveProperty("n")
            expect(collectorLog).not.toMatch(/refused: /)

            const { code, st: sj, stderr } = await status()
            expect(code, stderr).toBe(0)
            expect(sj.boards[0]).toMatchObject({
                board: BOARD,
                messages: "verified",
            })
            const { code: rc, rep, stderr: re } = await report()
            expect(rc, re).toBe(0)
            expect(rep.refused).toStrictEqual([])
            expect(calls8001(rep)).toBe(1)
        }, 120000)

        test("a replayed (older) counters message is refused by report, naming the board", async () => {
            const t0 = Date.now()
            await call()
            const c = await watcher.wait(
                COUNTERS,
                t0,
                v => v.handsets?.["8001"]?.calls?.domestic === 2
            )
            counters2 = c.text
            const ok = await report()
            expect(ok.code, ok.stderr).toBe(0)
            expect(calls8001(ok.rep)).toBe(2) // (its counter is remembered)
            // the month's message after call 1, genuinely signed, put back
            await watcher.publish(COUNTERS, counters1, true)
            const { code, rep, stderr } = await report()
            expect(code).toBe(3)
            expect(rep.refused).toHaveLength(1)
            expect(rep.refused[0]).toMatchObject({
                board: BOARD,
                topic: COUNTERS,
            })
            expect(rep.refused[0].reason).toMatch(
                /^replayed: its counter \[\d+,\d+\] is older than/
            )
            expect(stderr).toContain(
                `board ${BOARD}: ${COUNTERS} refused: replayed`
            )
            expect(calls8001(rep)).toBe(0) // not counted
            await watcher.publish(COUNTERS, counters2, true)
            expect((await report()).code).toBe(0)
        }, 120000)

        test("forged, unsigned and moved counters are refused by report; without --key they would count", async () => {
            // the count changed, the board's signature kept
            const forged = counters2.replace('"domestic":2', '"domestic":9')
            expect(forged).not.toBe(counters2)
            await watcher.publish(COUNTERS, forged, true)
            let r = await report()
            expect(r.code).toBe(3)
            expect(r.rep.refused[0]).toMatchObject({
                board: BOARD,
                reason: "forged (signature does not verify)",
            })
            expect(r.stderr).toContain(
                `board ${BOARD}: ${COUNTERS} refused: forged`
            )
            expect(calls8001(r.rep)).toBe(0)
            // what finance would have been given without verification
            const blind = await report(false)
            expect(blind.code).toBe(0)
            expect(calls8001(blind.rep)).toBe(9)
            expect(blind.stderr).toMatch(
                /messages of board desk-a not verified: give --key/
            )

            // unsigned (no "n", no "sig")
            const plain = JSON.parse(counters2)
            delete plain.n
            delete plain.sig
            await watcher.publish(COUNTERS, JSON.stringify(plain), true)
            r = await report()
            expect(r.code).toBe(3)
            expect(r.rep.refused[0].reason).toMatch(/^unsigned/)
            // signed with desk-b's key (a stolen board speaking for desk-a)
            const byB = signedAs(
                boardKey(KEY, "desk-b"),
                COUNTERS,
                { ...plain, handsets: { "8001": { calls: { domestic: 40 } } } },
                [9e12, 1]
            )
            await watcher.publish(COUNTERS, byB, true)
            r = await report()
            expect(r.code).toBe(3)
            expect(r.rep.refused[0]).toMatchObject({
                board: BOARD,
                reason: "forged (signature does not verify)",
            })
            // desk-a's genuine message moved to desk-b's topic: bound to its topic
            const B = T(`desk-b/counters/${MONTH}`)
            await watcher.publish(COUNTERS, counters2, true)
            await watcher.publish(B, counters2, true)
            r = await report()
            expect(r.code).toBe(3)
            expect(r.rep.refused).toStrictEqual([
                {
                    board: "desk-b",
                    topic: B,
                    reason: "forged (signature does not verify)",
                },
            ])
            expect(r.stderr).toContain(`board desk-b: ${B} refused: forged`)
            expect(calls8001(r.rep)).toBe(2) // desk-a's own, once
            await watcher.publish(B, "", true)
            expect((await report()).code).toBe(0)
        }, 120000)

        test("a replayed or forged state is refused by status, naming the board", async () => {
            const latest = watcher.parsed(STATE).pop()!.text
            await watcher.publish(STATE, firstState, true)
            let r = await status()
            expect(r.code).toBe(3)
            expect(r.st.boards[0]).toMatchObject({
                board: BOARD,
                messages: "refused",
            })
            expect(r.st.boards[0].refused[0]).toMatch(
                /^state replayed: its counter/
            )
            expect(r.stderr).toContain(
                `board ${BOARD}: ${STATE} refused: replayed`
            )
            // the table's line says so
            const text = await dialguard([
                "status",
                "--broker",
                broker.url,
                "--site",
                SITE,
                "--key",
                KEY_FILE,
            ])
            expect(text.code).toBe(3)
            expect(text.stdout).toMatch(/desk-a .*state replayed: its counter/)
            await watcher.publish(
                STATE,
                latest.replace('"policyVersion":3', '"policyVersion":9'),
                true
            )
            r = await status()
            expect(r.code).toBe(3)
            expect(r.st.boards[0].refused).toStrictEqual([
                "state forged (signature does not verify)",
            ])
            expect(r.st.boards[0].policyVersion).toBeUndefined() // not used
            await watcher.publish(STATE, latest, true)
            r = await status()
            expect(r.code, r.stderr).toBe(0)
            expect(r.st.boards[0]).toMatchObject({
                messages: "verified",
                policyVersion: 3,
            })
        }, 60000)

        test("collect refuses forged, other-key, unsigned and replayed records, naming the board; a resend is a no-op", async () => {
            const before = recordsIn(CALLS_DIR).length
            const genuine = JSON.parse(record1)
            const refusedBefore = (collectorLog.match(/refused: /g) ?? [])
                .length
            // a new id, the board's signature kept
            const forged = record1.replace(genuine.id, genuine.id + "9")
            await watcher.publish(CALLS, forged)
            await collectorSays(
                new RegExp(
                    `board desk-a: call record ${genuine.id}9 on ${CALLS} refused: forged \\(signature does not verify\\)`
                )
            )
            // signed with desk-b's key
            const { n, sig, ...plain } = genuine
            expect(sig).toMatch(/^[0-9a-f]{64}$/)
            await watcher.publish(
                CALLS,
                signedAs(
                    boardKey(KEY, "desk-b"),
                    CALLS,
                    { ...plain, id: "desk-a-1-1" },
                    [n[0], n[1] + 1000]
                )
            )
            await collectorSays(/call record desk-a-1-1 on .* refused: forged/)
            // unsigned
            await watcher.publish(
                CALLS,
                JSON.stringify({ ...plain, id: "desk-a-1-2" })
            )
            await collectorSays(
                /call record desk-a-1-2 on .* refused: unsigned/
            )
            // a counter not above the last record taken from desk-a (a message
            // it sent long ago, never stored): refused as a replay
            await watcher.publish(
                CALLS,
                signedAs(
                    boardKey(KEY, BOARD),
                    CALLS,
                    { ...plain, id: "desk-a-1-3" },
                    [n[0], 0]
                )
            )
            await collectorSays(
                /call record desk-a-1-3 on .* refused: replayed: its counter/
            )
            // the genuine record again, byte for byte: a duplicate, not refused
            await watcher.publish(CALLS, record1)
            await collectorSays(new RegExp(`duplicate ${genuine.id} ignored`))
            expect(
                (collectorLog.match(/refused: /g) ?? []).length - refusedBefore
            ).toBe(4)
            expect(recordsIn(CALLS_DIR).length).toBe(before)
            // kept for the admin
            const kept = readFileSync(join(CALLS_DIR, "refused.jsonl"), "utf8")
                .trim()
                .split("\n")
                .map(l => JSON.parse(l))
            expect(kept.map(k => k.board)).toStrictEqual([
                "desk-a",
                "desk-a",
                "desk-a",
                "desk-a",
            ])
            expect(kept[0].message).toBe(forged)
            expect(existsSync(join(CALLS_DIR, "calls.sqlite"))).toBe(true)
            // the board's next record is taken as usual
            const t0 = Date.now()
            await call()
            const next = await watcher.wait(
                CALLS,
                t0,
                v => v.category === "domestic"
            )
            await collectorSays(new RegExp(`${next.value.id}\\n`))
            expect(recordsIn(CALLS_DIR).map(r => r.id)).toContain(next.value.id)
        }, 120000)

        test("after a restart of collect, a replay below the last record taken is still refused; a stored record's resend is a duplicate", async () => {
            const genuine = JSON.parse(record1)
            const { n, sig: _sig, ...plain } = genuine
            await stopChild(collector)
            expect(collectorLog).toMatch(/stopped; /)
            const t0 = Date.now()
            await startCollector()
            measured["collectRestartMs"] = Date.now() - t0
            // genuinely signed by desk-a, never stored, its counter below
            // that of the records taken before the restart
            const replay = signedAs(
                boardKey(KEY, BOARD),
                CALLS,
                { ...plain, id: "desk-a-1-4" },
                [n[0], 1]
            )
            await watcher.publish(CALLS, replay)
            await collectorSays(
                /board desk-a: call record desk-a-1-4 on .* refused: replayed: its counter \[\d+,1\] is not above \[\d+,\d+\] of the last record taken from board desk-a/
            )
            expect(recordsIn(CALLS_DIR).map(r => r.id)).not.toContain(
                "desk-a-1-4"
            )
            const kept = readFileSync(join(CALLS_DIR, "refused.jsonl"), "utf8")
                .trim()
                .split("\n")
                .map(l => JSON.parse(l))
            expect(kept.pop()).toMatchObject({
                board: BOARD,
                topic: CALLS,
                message: replay,
                reason: expect.stringMatching(/^replayed: /),
            })
            // the board's genuine record again: a duplicate, not a refusal
            await watcher.publish(CALLS, record1)
            await collectorSays(new RegExp(`duplicate ${genuine.id} ignored`))
        }, 60000)

        test("a fresh flash: the board's counter starts anew and is taken; its messages from before are replays", async () => {
            const old = watcher.parsed(STATE).pop()!.value
            const oldBoot = old.n[0]
            const t0 = Date.now()
            await s.freshFlash()
            expect(await s.waitPortsReady()).toStrictEqual([])
            // its state of the new start, once it knows the time (a state of
            // ts 0 cannot show that it is newer)
            const st = await watcher.wait(
                STATE,
                t0,
                v => v.n?.[0] !== oldBoot && v.ts > 0,
                60000
            )
            const newBoot = st.value.n[0]
            let r = await status()
            expect(r.code, r.stderr).toBe(0)
            expect(r.st.boards[0]).toMatchObject({
                board: BOARD,
                messages: "verified",
            })
            // a random boot number: lower than before half of the time
            console.log(
                `signed e2e: fresh flash, boot ${oldBoot} -> ${newBoot} (${newBoot < oldBoot ? "lower: the restart path" : "higher"})`
            )
            measured["freshFlashBoot"] = newBoot < oldBoot ? "lower" : "higher"
            if (newBoot < oldBoot)
                expect(r.stderr).toMatch(
                    /board desk-a: its message counter started again at boot \d+ \(a fresh flash\?\)/
                )
            // its counters of the new start are counted
            const t1 = Date.now()
            await call()
            await watcher.wait(COUNTERS, t1, v => v.n?.[0] === newBoot)
            // and the collector its record (its kept counter is of the old life)
            const rec = await watcher.wait(
                CALLS,
                t1,
                v => v.n?.[0] === newBoot && v.category === "domestic"
            )
            await collectorSays(new RegExp(`${rec.value.id}\\n`))
            if (newBoot < oldBoot)
                expect(collectorLog).toMatch(
                    /note: board desk-a: its message counter started again at boot \d+/
                )
            const rep = await report()
            expect(rep.code, rep.stderr).toBe(0)
            expect(calls8001(rep.rep)).toBeGreaterThanOrEqual(1)
            // the state of its life before, put back: a replay
            const latest = watcher.parsed(STATE).pop()!.text
            await watcher.publish(STATE, firstState, true)
            r = await status()
            expect(r.code).toBe(3)
            expect(r.st.boards[0].refused[0]).toMatch(/^state replayed/)
            await watcher.publish(STATE, latest, true)
            expect((await status()).code).toBe(0)
        }, 180000)

        test("policy push uses only states that verify: a forged retained state (more ports) gets nothing; a forged answer is not 'applied'", async () => {
            const v4 = join(TMP, "hq-v4.policy.json")
            const policy = JSON.parse(
                readFileSync(
                    join(ROOT, "sim", "policies", "hq.policy.json"),
                    "utf8"
                )
            )
            writeFileSync(v4, JSON.stringify({ ...policy, version: 4 }))
            const pushV4 = (timeout = "20s", json = true) =>
                dialguard([
                    "policy",
                    "push",
                    v4,
                    "--broker",
                    broker.url,
                    "--key",
                    KEY_FILE,
                    "--site",
                    SITE,
                    "--timeout",
                    timeout,
                    ...(json ? ["--json"] : []),
                ])
            await boardQuiet()
            const genuine = watcher.parsed(STATE).pop()!
            expect(genuine.value.handsets).toStrictEqual(["8001", "8101"])
            const { n, sig: _sig, ...plain } = genuine.value
            const more = {
                ...plain,
                handsets: ["8000", "8001", "8101", "8102"],
            }
            const forgeries: [string, string, RegExp][] = [
                [
                    "its signature kept",
                    genuine.text.replace(
                        '"handsets":["8001","8101"]',
                        '"handsets":["8000","8001","8101","8102"]'
                    ),
                    /^forged \(signature does not verify\)$/,
                ],
                [
                    "signed with desk-b's key",
                    signedAs(boardKey(KEY, "desk-b"), STATE, more, [
                        n[0],
                        n[1] + 100,
                    ]),
                    /^forged \(signature does not verify\)$/,
                ],
                [
                    "unsigned (as firmware before signed messages)",
                    JSON.stringify(more),
                    /^unsigned \(firmware before signed messages, or forged\)$/,
                ],
            ]
            for (const [what, text, reason] of forgeries) {
                expect(text, what).not.toBe(genuine.text)
                await watcher.publish(STATE, text, true)
                const t0 = Date.now()
                const r = await pushV4()
                const j = JSON.parse(r.stdout)
                expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(3)
                expect(j.sent, what).toBe(0)
                expect(j.boards, what).toHaveLength(1)
                expect(j.boards[0], what).toMatchObject({
                    board: BOARD,
                    result: "state refused",
                    refused: [expect.stringMatching(reason)],
                })
                expect(j.boards[0].detail, what).toMatch(
                    /^state refused: .*; nothing sent$/
                )
                expect(r.stderr, what).toContain(
                    `dialguard: warning: board ${BOARD}: ${STATE} refused: `
                )
                // nothing went to the board: the broker still holds version 3
                expect(
                    parseMessage(
                        await retainedOn(broker.url, T(`${BOARD}/policy`))
                    ).version,
                    what
                ).toBe(3)
                expect(watcher.parsed(T(`${BOARD}/policy`), t0), what).toEqual(
                    []
                )
            }
            // the table says it too
            const text = await pushV4("20s", false)
            expect(text.code).toBe(3)
            expect(text.stdout).toMatch(
                /^desk-a\s+state refused\s+state refused: unsigned \(firmware before signed messages, or forged\); nothing sent$/m
            )
            expect(text.stdout).toContain(
                "1 board: 0 applied, 1 state refused; states refused (not the board's own, not used) of desk-a"
            )
            expect(text.stdout).toMatch(
                /^what to do \(desk-a\): its state is not signed: firmware from before signed messages \(update it with 'dialguard flash'\)/m
            )

            // the genuine state back, and a board desk-c whose (genuinely
            // signed) state the test publishes: push sends both their shares;
            // a forged answer for desk-c, naming the very text it was sent,
            // is not taken as applied; desk-a's own answer is
            await watcher.publish(STATE, genuine.text, true)
            const C = "desk-c"
            const cState = {
                board: C,
                handsets: ["8102"],
                policyVersion: 3,
                lastError: "",
                ts: genuine.value.ts,
            }
            await watcher.publish(T(`${C}/online`), "true", true)
            await watcher.publish(
                T(`${C}/state`),
                signedAs(boardKey(KEY, C), T(`${C}/state`), cState, [5, 1]),
                true
            )
            const t0 = Date.now()
            const started = Date.now()
            const running = pushV4("8s")
            const sent = await watcher.wait(
                T(`${C}/policy`),
                t0,
                v => v.version === 4
            )
            const forgedAnswer = signedAs(
                boardKey(KEY, "desk-b"),
                T(`${C}/state`),
                {
                    ...cState,
                    policyVersion: 4,
                    policyHash: policyHash(sent.value.policy),
                },
                [5, 2]
            )
            await watcher.publish(T(`${C}/state`), forgedAnswer, true)
            const r = await running
            measured["pushWithForgedAnswerMs"] = Date.now() - started
            expect(r.code, r.stdout + r.stderr).toBe(3)
            const j = JSON.parse(r.stdout)
            expect(j.sent).toBe(2)
            expect(j.boards.map((b: any) => [b.board, b.result])).toStrictEqual(
                [
                    [BOARD, "applied"],
                    [C, "no answer"],
                ]
            )
            expect(j.boards[0].refused).toBeUndefined()
            expect(j.boards[1].refused).toStrictEqual([
                "forged (signature does not verify)",
            ])
            expect(j.boards[1].detail).toMatch(
                /; state refused: forged \(signature does not verify\) \(not taken as its answer\)$/
            )
            expect(r.stderr).toContain(
                `dialguard: warning: board ${C}: ${T(`${C}/state`)} refused: forged (signature does not verify)`
            )
            // desk-a enforces version 4
            const st = await watcher.wait(STATE, t0, v => v.policyVersion === 4)
            expect(
                openSigned(STATE, st.text, boardKey(KEY, BOARD)).status
            ).toBe("signed")
            for (const t of ["online", "state", "policy"])
                await watcher.publish(T(`${C}/${t}`), "", true)
        }, 180000)
    }
)

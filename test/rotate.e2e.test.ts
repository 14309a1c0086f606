// Key rotation end to end (issue 13): `dialguard key rotate` (the REAL CLI)
// moves two boards of the REAL firmware (devs/main.ts in the simulator, one
// provisioned with its board key as `dialguard flash` does, one with the
// site key as older provisioning did) to a new site key over a REAL broker
// (mosquitto where installed, else aedes). Each board's new key travels
// sealed under its current one (AES-256-CCM); the boards confirm with
// states signed with the new key; the old key then opens nothing. Forged,
// truncated and replayed rotation messages (published from outside, as with
// mosquitto_pub) change nothing. A board offline during the rotation takes
// the new key when it reconnects; a board power-cycled after it keeps it.
// An authorization code works under the new key. Figures:
// .devicescript/sim/rotate-e2e.measurements.json.
//
// ~1.5 min; DIALGUARD_SKIP_SIM=1 skips it.

import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { SimSession } from "../sim/session"
import { codeHmac, openCode, sealCode } from "../src/fleet/authCodes"
import { openSigned } from "../src/fleet/boardSig"
import { boardKey, sealBoardKey } from "../src/fleet/sign"
import { testBrokerKind } from "./brokerChoice"
import {
    dialguard,
    envelope,
    handsets,
    ROOT,
    SIM_START,
    sleep,
    startBroker,
    TestBroker,
    Watcher,
} from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const BROKER = testBrokerKind()
const TMP = mkdtempSync(join(tmpdir(), "dialguard-rotate-e2e-"))
const SITE = "hq"
const OLD_HEX =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
const OLD = Buffer.from(OLD_HEX, "hex")
const OLD_FILE = join(TMP, "hq.key")
const NEW_FILE = join(TMP, "hq-2027.key")
const NEWER_FILE = join(TMP, "hq-2028.key")
const POLICY_FILE = join(TMP, "hq.policy.json")
const CODE = "482916"
const T = (board: string, rest: string) => `dialguard/${SITE}/${board}/${rest}`

let broker: TestBroker
let watcher: Watcher
let a: SimSession
let b: SimSession
const measured: Record<string, number[]> = {}
const { dial, hangUp, expectStep } = handsets(() => a)

const keyIn = (file: string) =>
    Buffer.from(readFileSync(file, "utf8").trim(), "hex")

/** hq.policy.json at `version`, 8001 local, one code lifting to domestic. */
function writePolicy(version: number) {
    const doc = JSON.parse(
        readFileSync(join(ROOT, "sim", "policies", "hq.policy.json"), "utf8")
    )
    doc.version = version
    doc.handsets.find((h: any) => h.extension === "8001").allow = "local"
    doc.authCodes = [
        { owner: "王经理", allow: "domestic", sealed: sealCode(OLD, CODE) },
    ]
    writeFileSync(POLICY_FILE, JSON.stringify(doc, null, 4))
}

/** The policy file at `version`, its codes as they are (sealed by the last rotation). */
function bumpPolicy(version: number) {
    const doc = JSON.parse(readFileSync(POLICY_FILE, "utf8"))
    doc.version = version
    writeFileSync(POLICY_FILE, JSON.stringify(doc, null, 4))
}

async function cli(args: string[]) {
    return dialguard([...args, "--broker", broker.url, "--site", SITE])
}

const rotate = (from: string, to: string) =>
    cli(["key", "rotate", POLICY_FILE, "--key", from, "--new-key", to])

/** The boards' states as `status --key FILE --json` shows them. */
async function status(keyFile: string) {
    const r = await cli(["status", "--key", keyFile, "--json"])
    return { ...r, st: r.stdout ? JSON.parse(r.stdout) : undefined }
}

/**
 * The first state of `board` published since `since` that verifies with
 * its key from site key `key` and passes `test` (its fields).
 */
async function stateUnder(
    board: string,
    key: Buffer,
    since: number,
    test: (v: any) => boolean,
    timeoutMs = 30000
) {
    const topic = T(board, "state")
    const k = boardKey(key, board)
    const end = Date.now() + timeoutMs
    for (;;) {
        for (const m of watcher.seen)
            if (m.t >= since && m.topic === topic) {
                const o = openSigned(topic, m.text, k)
                if (o.status === "signed" && test(o.value)) return o.value
            }
        if (Date.now() > end)
            throw new Error(
                `no state of ${board} signed with the expected key as expected within ${timeoutMs} ms; last: ` +
                    watcher
                        .parsed(topic)
                        .slice(-2)
                        .map(m => m.text)
                        .join(" | ")
            )
        await sleep(20)
    }
}

async function startBoard(
    board: string,
    ports: string[],
    key: Record<string, string>
) {
    const s = await SimSession.start({
        ports,
        board,
        logFile: join(OUT, `rotate-e2e-${board}.log`),
        startTime: SIM_START,
        configExtra: { site: SITE, broker: { url: broker.url }, ...key },
    })
    expect(await s.waitPortsReady()).toStrictEqual([])
    return s
}

describe.skipIf(skip)(`key rotation, real firmware and ${BROKER}`, () => {
    beforeAll(async () => {
        writeFileSync(OLD_FILE, OLD_HEX + "\n", { mode: 0o600 })
        broker = await startBroker(BROKER, TMP)
        watcher = new Watcher(broker.url, SITE, "rotate-e2e-watcher")
        await watcher.start()
        mkdirSync(OUT, { recursive: true })
        ;[a, b] = await Promise.all([
            // as `dialguard flash --key` provisions: the board key only
            startBoard("desk-a", ["8001", "8101"], {
                boardKey: boardKey(OLD, "desk-a").toString("hex"),
            }),
            // as older provisioning did: the site key
            startBoard("desk-b", ["8000", "8102"], { siteKey: OLD_HEX }),
        ])
        writePolicy(1)
        const r = await cli(["policy", "push", POLICY_FILE, "--key", OLD_FILE])
        expect(r.code, r.stdout + r.stderr).toBe(0)
    }, 10 * 60000)

    afterAll(async () => {
        writeFileSync(
            join(OUT, "rotate-e2e.measurements.json"),
            JSON.stringify(measured, null, 2) + "\n"
        )
        console.log("rotate e2e measurements: " + JSON.stringify(measured))
        await Promise.all([a?.stop(), b?.stop()])
        watcher?.stop()
        await broker?.stop()
        rmSync(TMP, { recursive: true, force: true })
    }, 60000)

    test("forged and truncated rotation messages change nothing: refused, the old key still holds", async () => {
        const text = JSON.stringify({
            ...JSON.parse(readFileSync(POLICY_FILE, "utf8")),
            authCodes: undefined,
            version: 2,
        })
        const next = Buffer.alloc(32, 7)
        const nextA = boardKey(next, "desk-a")
        const topic = T("desk-a", "policy")
        // (the v1 share policy push left there, put back at the end)
        const v1 = watcher.parsed(topic).find(m => m.value.version === 1)!
        const refusedWith = async (payload: string) => {
            const t0 = Date.now()
            await watcher.publish(topic, payload, true)
            // in a state still signed with the old key
            const st = await stateUnder(
                "desk-a",
                OLD,
                t0,
                v => v.rejected?.version === 2
            )
            expect(st.rejected.reason).toBe(
                "signature does not match the site key"
            )
            expect(st.policyVersion).toBe(1)
        }
        // sealed under a key desk-a does not hold (a stolen desk-b's own)
        await refusedWith(
            envelope(SITE, text, 2, next.toString("hex"), {
                board: "desk-a",
                key: sealBoardKey(boardKey(OLD, "desk-b"), nextA),
            })
        )
        // the genuine seal cut short
        const seal = sealBoardKey(boardKey(OLD, "desk-a"), nextA)
        await refusedWith(
            envelope(SITE, text, 2, next.toString("hex"), {
                board: "desk-a",
                key: seal.slice(0, 100),
            })
        )
        // one byte of the genuine seal changed (its tag fails)
        const flipped =
            seal.slice(0, 40) + (seal[40] === "0" ? "1" : "0") + seal.slice(41)
        await refusedWith(
            envelope(SITE, text, 2, next.toString("hex"), {
                board: "desk-a",
                key: flipped,
            })
        )
        expect(await a.admin.policyVersion()).toBe(1)
        const t0 = Date.now()
        await watcher.publish(topic, v1.text, true)
        await stateUnder("desk-a", OLD, t0, v => !v.rejected)
        const s = await status(OLD_FILE)
        expect(s.code, s.stderr).toBe(0)
        expect(
            s.st.boards.map((x: any) => [x.board, x.policyVersion])
        ).toStrictEqual([
            ["desk-a", 1],
            ["desk-b", 1],
        ])
    }, 120000)

    test("key rotate with desk-b offline: desk-a takes the new key; desk-b takes it when it is back; the second run confirms (exit 4, then 0)", async () => {
        bumpPolicy(2)
        await b.powerOff()
        await watcher.wait(T("desk-b", "online"), 0, v => v === false)
        expect(existsSync(NEW_FILE)).toBe(false)
        const started = Date.now()
        const r = await rotate(OLD_FILE, NEW_FILE)
        expect(r.code, r.stdout + r.stderr).toBe(4)
        // the new key was written first, private
        expect(statSync(NEW_FILE).mode & 0o777).toBe(0o600)
        const next = keyIn(NEW_FILE)
        expect(r.stdout).toMatch(/^desk-a\s+applied\s+version 2/m)
        expect(r.stdout).toMatch(/^desk-b\s+offline\s+/m)
        expect(r.stdout).toContain(
            `not done: desk-b still holds the key from ${OLD_FILE}`
        )
        // desk-a's share on the broker: signed with its new key, the code's
        // HMAC made with it
        const msg = await watcher.wait(
            T("desk-a", "policy"),
            started,
            v => v.version === 2 && typeof v.key === "string"
        )
        expect(JSON.parse(msg.value.policy).authCodes[0].hmac).toBe(
            codeHmac(boardKey(next, "desk-a"), CODE)
        )
        expect(msg.text).not.toContain(boardKey(next, "desk-a").toString("hex"))

        // meanwhile: status with both keys takes every board's state, and
        // goes on from the counters seen under the old key
        expect(existsSync(NEW_FILE + ".seen.json")).toBe(false)
        // (a month's counters seen by a report under the old key: a topic
        // this status does not read)
        const oldSeen = JSON.parse(
            readFileSync(OLD_FILE + ".seen.json", "utf8")
        )
        oldSeen[T("desk-a", "counters/2026-01")] = oldSeen[T("desk-a", "state")]
        writeFileSync(OLD_FILE + ".seen.json", JSON.stringify(oldSeen))
        const seenOld = Object.keys(oldSeen)
        const both = await cli([
            "status",
            "--key",
            NEW_FILE,
            "--old-key",
            OLD_FILE,
            "--json",
        ])
        expect(both.code, both.stderr).toBe(0)
        expect(
            JSON.parse(both.stdout).boards.map((x: any) => x.policyVersion)
        ).toStrictEqual([2, 1])
        const seenNew = JSON.parse(
            readFileSync(NEW_FILE + ".seen.json", "utf8")
        )
        for (const t of seenOld) expect(seenNew[t], t).toBeDefined()
        const onlyNew = await status(NEW_FILE)
        expect(onlyNew.stderr).toMatch(/desk-b[^\n]*forged/)

        const t0 = Date.now()
        await b.powerOn()
        await stateUnder("desk-b", next, t0, v => v.policyVersion === 2)
        measured["reconnectToNewKeyStateMs"] = [Date.now() - t0]
        const again = await rotate(OLD_FILE, NEW_FILE)
        expect(again.code, again.stdout + again.stderr).toBe(0)
        expect(again.stdout).toMatch(/^desk-a\s+applied\s+version 2/m)
        expect(again.stdout).toMatch(/^desk-b\s+applied\s+version 2/m)
        expect(again.stdout).toContain(
            `every board of site hq now holds its key from ${NEW_FILE}`
        )
        measured["rotateCliMs"] = [again.ms]
        // the file's code sealed with the new key now
        const doc = JSON.parse(readFileSync(POLICY_FILE, "utf8"))
        expect(openCode(next, doc.authCodes[0].sealed)).toBe(CODE)
        expect(openCode(OLD, doc.authCodes[0].sealed)).toBeUndefined()
        // status: every state verifies with the new key, none with the old
        const s = await status(NEW_FILE)
        expect(s.code, s.stderr).toBe(0)
        expect(s.st.boards.map((x: any) => x.policyVersion)).toStrictEqual([
            2, 2,
        ])
        const old = await status(OLD_FILE)
        expect(old.stderr).toMatch(/desk-a[^\n]*forged/)
        expect(old.stderr).toMatch(/desk-b[^\n]*forged/)
    }, 240000)

    test("the code works with the new key: 8001 (local) dials long distance with it", async () => {
        a.exchange.outside = { answerAfterMs: 300 }
        await dial("8001", "01062345678")
        await expectStep({ expectTone: { port: "8001", tone: "Prompt" } })
        for (const k of CODE + "#") {
            await a.port("8001").key(k)
            await sleep(150)
        }
        await expectStep({
            expectDialled: { port: "8001", number: "1790901062345678" },
        })
        await hangUp("8001")
    }, 60000)

    test("the old key stops working: a policy signed with it is refused, and push with it gets no board", async () => {
        const text = JSON.stringify({
            ...JSON.parse(readFileSync(POLICY_FILE, "utf8")),
            authCodes: undefined,
            version: 3,
        })
        const t0 = Date.now()
        await watcher.publish(
            T("desk-a", "policy"),
            envelope(SITE, text, 3, OLD_HEX, { board: "desk-a" }),
            true
        )
        const st = await stateUnder(
            "desk-a",
            keyIn(NEW_FILE),
            t0,
            v => v.rejected?.version === 3
        )
        expect(st.rejected.reason).toBe("signature does not match the site key")
        expect(await a.admin.policyVersion()).toBe(2)
        // `policy push --key OLD`: the file's code is sealed with the new
        // key now, so the old one cannot even open it (nothing published)
        bumpPolicy(3)
        const sealed = await cli([
            "policy",
            "push",
            POLICY_FILE,
            "--key",
            OLD_FILE,
        ])
        expect(sealed.code).toBe(1)
        expect(sealed.stderr).toContain("not sealed with this site key")
        // without codes: the states do not verify, nothing is sent
        const bare = join(TMP, "bare.policy.json")
        writeFileSync(bare, text)
        const r = await cli(["policy", "push", bare, "--key", OLD_FILE])
        expect(r.code, r.stdout + r.stderr).toBe(3)
        expect(r.stdout).toMatch(/^desk-a\s+state refused/m)
        expect(await a.admin.policyVersion()).toBe(2)
    }, 120000)

    test("a second rotation; the first one's message replayed is refused; a power-cycled board keeps its new key", async () => {
        const first = watcher
            .parsed(T("desk-a", "policy"))
            .filter(m => m.value.version === 2 && m.value.key)
            .pop()!
        bumpPolicy(4)
        // (with --json: the same rotation, said as JSON)
        const r = await cli([
            "key",
            "rotate",
            POLICY_FILE,
            "--key",
            NEW_FILE,
            "--new-key",
            NEWER_FILE,
            "--json",
        ])
        expect(r.code, r.stdout + r.stderr).toBe(0)
        expect(JSON.parse(r.stdout).rotation).toContain(
            `every board of site hq now holds its key from ${NEWER_FILE}`
        )
        expect(existsSync(NEWER_FILE + ".seen.json")).toBe(true)
        const newer = keyIn(NEWER_FILE)
        expect(
            openCode(
                newer,
                JSON.parse(readFileSync(POLICY_FILE, "utf8")).authCodes[0]
                    .sealed
            )
        ).toBe(CODE)
        // the first rotation's message again (sealed under a key desk-a no
        // longer holds, signed with one it no longer holds)
        const t0 = Date.now()
        await watcher.publish(T("desk-a", "policy"), first.text, true)
        const st = await stateUnder(
            "desk-a",
            newer,
            t0,
            v => v.rejected?.version === 2
        )
        expect(st.rejected.reason).toBe("signature does not match the site key")
        expect(await a.admin.policyVersion()).toBe(4)
        // desk-b power-cycled: its configuration holds the newer key
        const t1 = Date.now()
        await b.restart()
        await stateUnder("desk-b", newer, t1, v => v.policyVersion === 4)
        bumpPolicy(5)
        const p = await cli([
            "policy",
            "push",
            POLICY_FILE,
            "--key",
            NEWER_FILE,
        ])
        expect(p.code, p.stdout + p.stderr).toBe(0)
        expect(p.stdout).toMatch(/^desk-a\s+applied\s+version 5/m)
        expect(p.stdout).toMatch(/^desk-b\s+applied\s+version 5/m)
    }, 240000)
})

// The fleet side of the dialguard CLI (policy push, status, report,
// collect, broker, key new) end to end: a real broker started for this
// file on free loopback ports (plain, TLS and login-only listeners; aedes,
// and mosquitto where it is installed: test/brokerChoice.ts), the
// real CLI (node bin/dialguard.mjs), and boards emulated by StandInBoard,
// a stand-in for the board firmware (written elsewhere) that follows
// src/fleet/PROTOCOL.md.

import { ChildProcess, spawn, spawnSync } from "node:child_process"
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import mqtt, { MqttClient } from "mqtt"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { validatePolicy } from "../devs/policy/validate"
import { boardPolicyDoc } from "../devs/policy/boardPolicy"
import { measureCountersParsing } from "../src/fleet/bench"
import { CallStore } from "../src/fleet/callStore"
import { parseCsv } from "../src/fleet/csv"
import { boardKey, sign } from "../src/fleet/sign"
import { sizeRefusal } from "../devs/sync/protocol"
import { policyText } from "../devs/policy/policyLines"
import {
    POLICY_MESSAGE_VERSION,
    beijingTime,
    monthOf,
    policyMessageText,
    readPolicyMessage,
} from "../src/fleet/topics"
import { testBrokerKind } from "./brokerChoice"
import {
    freePort,
    portOpen,
    sleep,
    startBroker,
    TestBroker,
} from "./syncHarness"

const ROOT = fileURLToPath(new URL("..", import.meta.url))
const LAUNCHER = join(ROOT, "bin", "dialguard.mjs")
const FIXTURES = join(ROOT, "test", "fixtures", "fleet")
const TMP = mkdtempSync(join(tmpdir(), "dialguard-fleet-"))
const KEY_HEX =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
const KEY = Buffer.from(KEY_HEX, "hex")
const OTHER_KEY = Buffer.alloc(32, 7)

// ------------------------------------------------------------ the broker

/** aedes or mosquitto: vitest.config.ts runs this file once for each. */
const BROKER = testBrokerKind()
let broker: TestBroker | undefined
/** Plain listener, anonymous. */
let URL_PLAIN = ""
/** TLS listener (test CA in test/fixtures/fleet), anonymous. */
let URL_TLS = ""
/** Plain listener that needs the login admin / s3cret. */
let URL_AUTH = ""

beforeAll(async () => {
    broker = await startBroker(BROKER, TMP, {
        tls: true,
        login: { username: "admin", password: "s3cret" },
    })
    URL_PLAIN = broker.url
    URL_TLS = broker.tlsUrl
    URL_AUTH = broker.authUrl
}, 60000)

afterAll(async () => {
    await broker?.stop()
    rmSync(TMP, { recursive: true, force: true })
})

// ------------------------------------------------------------ the CLI

interface Run {
    code: number | null
    stdout: string
    stderr: string
}

const cleanEnv = () => {
    const env = { ...process.env }
    delete env["DIALGUARD_MQTT_USERNAME"]
    delete env["DIALGUARD_MQTT_PASSWORD"]
    return env
}

function dialguard(
    args: string[],
    env: Record<string, string> = {}
): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [LAUNCHER, ...args], {
            cwd: ROOT,
            env: { ...cleanEnv(), ...env },
        })
        let stdout = ""
        let stderr = ""
        child.stdout.setEncoding("utf8").on("data", d => (stdout += d))
        child.stderr.setEncoding("utf8").on("data", d => (stderr += d))
        child.on("error", reject)
        child.on("close", code => resolve({ code, stdout, stderr }))
        child.stdin.end()
    })
}

/** A long-running dialguard (collect, broker) whose output can be awaited. */
class Daemon {
    stdout = ""
    stderr = ""
    readonly child: ChildProcess
    private exited: Promise<number | null>
    private waiters: (() => void)[] = []

    constructor(args: string[], command = [LAUNCHER]) {
        this.child = spawn(process.execPath, [...command, ...args], {
            cwd: ROOT,
            env: cleanEnv(),
            stdio: ["ignore", "pipe", "pipe"],
        })
        const wake = () => this.waiters.splice(0).forEach(w => w())
        this.child.stdout!.setEncoding("utf8").on("data", d => {
            this.stdout += d
            wake()
        })
        this.child.stderr!.setEncoding("utf8").on("data", d => {
            this.stderr += d
            wake()
        })
        this.exited = new Promise(resolve =>
            this.child.on("close", code => {
                wake()
                resolve(code)
            })
        )
    }

    /** Resolves once stdout + stderr hold `count` matches of `re`. */
    async waitFor(re: RegExp, count = 1, ms = 30000): Promise<void> {
        const g = new RegExp(
            re.source,
            re.flags.includes("g") ? re.flags : re.flags + "g"
        )
        const deadline = Date.now() + ms
        for (;;) {
            const n = (this.stdout + this.stderr).match(g)?.length ?? 0
            if (n >= count) return
            if (this.child.exitCode !== null)
                throw new Error(
                    `exited (${this.child.exitCode}) before ${re}:\n${this.stdout}${this.stderr}`
                )
            if (Date.now() > deadline)
                throw new Error(
                    `no ${re} (x${count}) within ${ms} ms:\n${this.stdout}${this.stderr}`
                )
            await new Promise<void>(r => {
                this.waiters.push(r)
                setTimeout(r, 200)
            })
        }
    }

    stop(): Promise<number | null> {
        this.child.kill("SIGTERM")
        return this.exited
    }

    /** Its exit code, or "still running" (then it is stopped) after `ms`. */
    async exitWithin(ms: number): Promise<number | null | "still running"> {
        const timer = new Promise<"still running">(r =>
            setTimeout(() => r("still running"), ms)
        )
        const code = await Promise.race([this.exited, timer])
        if (code === "still running") await this.stop()
        return code
    }
}

let fileNo = 0
function tempFile(name: string, content: string): string {
    const file = join(TMP, `${++fileNo}-${name}`)
    writeFileSync(file, content)
    return file
}

function keyFile(hex = KEY_HEX): string {
    const file = tempFile("site.key", hex + "\n")
    chmodSync(file, 0o600)
    return file
}

function policyDoc(
    site: string,
    version: number,
    extra: Partial<Record<string, unknown>> = {}
) {
    return {
        version,
        site: { name: site, areaCode: "025" },
        departments: [
            { id: "admin", name: "人事行政部", floor: 3, x: 10, y: 4 },
            { id: "sales", name: "销售部", floor: 3, x: 40, y: 4 },
        ],
        handsets: [
            {
                extension: "8000",
                department: "admin",
                allow: "internal",
                receiveOnly: true,
                name: '前台 "A", 1楼',
            },
            {
                extension: "8001",
                department: "admin",
                allow: "domestic",
                name: "王经理",
            },
            { extension: "8101", department: "sales", allow: "international" },
            { extension: "8102", department: "sales", allow: "local" },
        ],
        ...extra,
    }
}

const policyFile = (site: string, version: number, extra = {}) =>
    tempFile(
        "policy.json",
        JSON.stringify(policyDoc(site, version, extra), null, 4)
    )

/** `dialguard policy push FILE --broker URL_PLAIN --key KEY [more]` */
const pushPolicy = (file: string, key: string, ...more: string[]) =>
    dialguard([
        "policy",
        "push",
        file,
        "--broker",
        URL_PLAIN,
        "--key",
        key,
        ...more,
    ])

function noStackTrace(r: Run) {
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stderr).not.toContain("internal error")
}

/** The retained payload of `topic` on the plain listener ("" when none). */
async function retained(topic: string): Promise<string> {
    const c = await mqtt.connectAsync(URL_PLAIN, {
        reconnectPeriod: 0,
        protocolVersion: 4,
    })
    let got = ""
    c.on("message", (t, p) => {
        if (t === topic) got = p.toString()
    })
    await c.subscribeAsync(topic, { qos: 1 })
    // a round trip through the broker after the subscription: retained
    // messages for it were sent before this comes back
    const marker = `test/marker/${Math.random()}`
    await c.subscribeAsync(marker, { qos: 1 })
    await new Promise<void>(resolve => {
        c.on("message", t => t === marker && resolve())
        c.publish(marker, "x", { qos: 1 })
    })
    await c.endAsync()
    return got
}

/** Publishes `payload` retained (QoS 1) on the plain listener. */
async function publishRetained(topic: string, payload: string) {
    const c = await mqtt.connectAsync(URL_PLAIN, {
        reconnectPeriod: 0,
        protocolVersion: 4,
    })
    await c.publishAsync(topic, payload, { qos: 1, retain: true })
    await c.endAsync()
}

// ------------------------------------------------------------ stand-in board

interface BoardOptions {
    key?: Buffer
    policyVersion?: number
    /** Never answers a policy (a hung board). */
    silent?: boolean
    /**
     * Answers each policy with its state but checks none (as a board that
     * dropped it: newer messages were waiting).
     */
    unread?: boolean
    firmware?: string
    lastError?: string
    /** Its port extensions (default 8001, 8101). */
    ports?: string[]
    /** Its states are not signed (firmware before signed messages). */
    unsigned?: boolean
}

/** Boot numbers of the stand-ins' starts: each start a higher one. */
let nextBoot = Date.now()

/**
 * STAND-IN for the board firmware (devs/sync, tested end to end in
 * test/sync.e2e.test.ts): just enough of src/fleet/PROTOCOL.md to exercise
 * the CLI. Connects with its will (online false), says online true and
 * publishes its retained state, and answers each policy message by
 * checking the HMAC (node:crypto), the site, the policy itself (the
 * engine's validatePolicy) and the version as the firmware does, then
 * publishing its state: applied (policyVersion, and policyHash of the text
 * it enforces) or rejected ({"version","reason"}). A board started with
 * `policyVersion` enforces a text nobody pushed (as if flashed). Its
 * states are signed as the firmware signs them (PROTOCOL.md "Signed board
 * messages": its board key, "n" = [boot, count]); `crashedAt` makes it
 * refuse policy messages as large as one it ran out of memory on.
 */
class StandInBoard {
    client!: MqttClient
    policyVersion: number
    /** The text it enforces ("" none, or one it was flashed with). */
    policyText = ""
    rejected?: { version: number; reason: string }
    applied: unknown[] = []
    /** Every policy payload it received. */
    received: string[] = []
    private seq = 0
    private boot = 0
    private count = 0
    /** Refuses policy messages of this many bytes or more (its crash guard; 0 none). */
    crashedAt = 0

    constructor(
        readonly url: string,
        readonly site: string,
        readonly id: string,
        readonly opts: BoardOptions = {}
    ) {
        this.policyVersion = opts.policyVersion ?? 0
        if (this.policyVersion)
            this.policyText = `(flashed v${this.policyVersion})`
    }

    get root() {
        return `dialguard/${this.site}/${this.id}`
    }

    get ports() {
        return this.opts.ports ?? ["8001", "8101"]
    }

    async start(): Promise<this> {
        this.boot = nextBoot++
        this.count = 0
        this.client = await mqtt.connectAsync(this.url, {
            protocolVersion: 4,
            clean: true,
            clientId: `standin-${this.site}-${this.id}`,
            reconnectPeriod: 0,
            will: {
                topic: `${this.root}/online`,
                payload: Buffer.from("false"),
                qos: 1,
                retain: true,
            },
        })
        await this.client.publishAsync(`${this.root}/online`, "true", {
            qos: 1,
            retain: true,
        })
        await this.publishState()
        this.client.on("message", (topic, payload) => {
            if (topic === `${this.root}/policy`)
                void this.onPolicy(payload.toString("utf8"))
        })
        await this.client.subscribeAsync(`${this.root}/policy`, { qos: 1 })
        return this
    }

    publishState() {
        const s: Record<string, unknown> = {
            board: this.id,
            handsets: this.ports,
            policyVersion: this.policyVersion,
        }
        if (this.policyText)
            s["policyHash"] = createHash("sha256")
                .update(this.policyText, "utf8")
                .digest("hex")
                .slice(0, 16)
        s["firmware"] = this.opts.firmware ?? "0.1.0"
        s["lastError"] = this.opts.lastError ?? ""
        if (this.rejected) s["rejected"] = this.rejected
        s["ts"] = Math.floor(Date.now() / 1000)
        const topic = `${this.root}/state`
        let text = JSON.stringify(s)
        if (!this.opts.unsigned) {
            const nf = `,"n":[${this.boot},${++this.count}]`
            const key = boardKey(this.opts.key ?? KEY, this.id)
            text =
                text.slice(0, -1) +
                nf +
                `,"sig":"${sign(key, topic + text + nf)}"}`
        }
        return this.client.publishAsync(topic, text, { qos: 1, retain: true })
    }

    private async onPolicy(text: string) {
        this.received.push(text)
        if (this.opts.silent) return
        if (this.opts.unread) return this.publishState()
        if (text === "") {
            // the topic was cleared: the refusal goes with the message
            this.rejected = undefined
            return this.publishState()
        }
        const bytes = Buffer.byteLength(text, "utf8")
        if (this.crashedAt && bytes >= this.crashedAt) {
            this.rejected = {
                version: readPolicyMessage(text)?.version ?? 0,
                reason: sizeRefusal(bytes, this.crashedAt),
            }
            return this.publishState()
        }
        const m: any = readPolicyMessage(text)
        if (!m) return
        const reject = (reason: string) => {
            this.rejected = { version: m.version, reason }
            return this.publishState()
        }
        // it holds its own key, derived from its site's key
        const want = createHmac(
            "sha256",
            boardKey(this.opts.key ?? KEY, this.id)
        )
            .update(String(m.policy), "utf8")
            .digest()
        const sig = Buffer.from(typeof m.sig === "string" ? m.sig : "", "hex")
        if (sig.length !== 32 || !timingSafeEqual(want, sig))
            return reject("signature does not match the site key")
        if (m.v !== POLICY_MESSAGE_VERSION || m.site !== this.site)
            return reject(`message for site ${m.site}, v ${m.v}`)
        const v = validatePolicy(JSON.parse(m.policy))
        if (!v.policy) return reject(`invalid policy: ${v.errors[0]}`)
        if (v.policy.board !== this.id || m.board !== this.id)
            return reject(`policy for board ${v.policy.board}`)
        if (v.policy.version !== m.version)
            return reject("version differs from the policy's")
        if (m.version < this.policyVersion)
            return reject(`older than version ${this.policyVersion}`)
        if (m.version === this.policyVersion && m.policy !== this.policyText)
            return reject(
                `version ${m.version} is already enforced with other content (replayed or forged)`
            )
        if (m.version > this.policyVersion) {
            this.policyVersion = m.version
            this.policyText = m.policy
            this.applied.push(v.policy)
        }
        this.rejected = undefined
        return this.publishState()
    }

    counters(month: string, handsets: Record<string, unknown>) {
        return this.client.publishAsync(
            `${this.root}/counters/${month}`,
            JSON.stringify({ board: this.id, month, handsets }),
            { qos: 1, retain: true }
        )
    }

    /** A long-distance call record; `seq` reuses an id (a resend). */
    call(
        r: {
            handset: string
            number: string
            category: string
            start: number
            seconds: number
        },
        seq?: number
    ) {
        const id = `${this.id}-${seq ?? ++this.seq}`
        return this.client
            .publishAsync(
                `${this.root}/calls`,
                JSON.stringify({ board: this.id, ...r, id }),
                { qos: 1 }
            )
            .then(() => id)
    }

    /** Drops off the network without a goodbye: the broker publishes the will. */
    crash() {
        this.client.end(true)
    }

    stop() {
        return this.client.endAsync()
    }
}

const boards: StandInBoard[] = []
async function board(
    url: string,
    site: string,
    id: string,
    opts: BoardOptions = {}
) {
    const b = await new StandInBoard(url, site, id, opts).start()
    boards.push(b)
    return b
}
afterAll(async () => {
    for (const b of boards) if (b.client.connected) await b.stop()
})

// ------------------------------------------------------------ tests

describe.concurrent("policy push", { timeout: 60000 }, () => {
    test("every board applies: table, exit 0, boards got the policy as written", async () => {
        const site = "push-ok"
        const a = await board(URL_PLAIN, site, "desk-a", { policyVersion: 1 })
        const b = await board(URL_PLAIN, site, "desk-b", {
            ports: ["8000", "8102"],
        })
        const file = policyFile("Push OK", 2)
        const r = await pushPolicy(file, keyFile())
        noStackTrace(r)
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
        const lines = r.stdout.trimEnd().split("\n")
        expect(lines[0]).toMatch(
            new RegExp(
                `^site push-ok: policy version 2 published to ${URL_PLAIN} for 2 boards \\(at most \\d+ bytes, retained\\)$`
            )
        )
        expect(lines[1]).toMatch(/^board\s+result\s+detail$/)
        expect(lines[2]).toMatch(/^desk-a\s+applied\s+version 2$/)
        expect(lines[3]).toMatch(/^desk-b\s+applied\s+version 2$/)
        expect(lines[4]).toBe("2 boards: 2 applied")
        expect(a.policyVersion).toBe(2)
        expect(b.applied).toHaveLength(1)
        // each board got its share: its own handsets, the rest as numbers
        expect((b.applied[0] as any).handsets.map((h: any) => h.name)).toEqual([
            '前台 "A", 1楼',
            "",
        ])
        expect((b.applied[0] as any).extensions).toBe("8001 8101")
        // retained for when a board reconnects
        const msg = readPolicyMessage(
            await retained(`dialguard/${site}/desk-a/policy`)
        )!
        expect(msg).toMatchObject({ v: 2, site, board: "desk-a", version: 2 })
        const whole = validatePolicy(policyDoc("Push OK", 2)).policy!
        expect(JSON.parse(msg.policy)).toStrictEqual(
            boardPolicyDoc(whole, "desk-a", ["8001", "8101"])
        )
        expect(msg.sig).toBe(
            createHmac("sha256", boardKey(KEY, "desk-a"))
                .update(msg.policy, "utf8")
                .digest("hex")
        )

        // pushing the same file again is harmless; a new board gets it too
        const c = await board(URL_PLAIN, site, "desk-c")
        const again = await pushPolicy(file, keyFile(), "--json")
        expect(again.code).toBe(0)
        const j = JSON.parse(again.stdout)
        expect([j.sent, j.unchanged]).toEqual([3, 2])
        expect(j.boards.map((x: any) => [x.board, x.result])).toStrictEqual([
            ["desk-a", "applied"],
            ["desk-b", "applied"],
            ["desk-c", "applied"],
        ])
        expect(c.policyVersion).toBe(2)
    })

    test("a board that rejects: its reason in the table, exit 3; one holding another site key is sent nothing", async () => {
        const site = "push-reject"
        await board(URL_PLAIN, site, "good")
        // flashed with a version above this push's
        await board(URL_PLAIN, site, "ahead", { policyVersion: 9 })
        // its states are signed with its key from another site key
        const wrong = await board(URL_PLAIN, site, "wrongkey", {
            key: OTHER_KEY,
            policyVersion: 1,
        })
        const file = policyFile("x", 4)
        const r = await dialguard([
            "policy",
            "push",
            file,
            "--site",
            site,
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
        ])
        noStackTrace(r)
        expect(r.code).toBe(3)
        expect(r.stdout).toMatch(/^good\s+applied\s+version 4$/m)
        expect(r.stdout).toMatch(
            /^ahead\s+rejected\s+version 4 refused: older than version 9; taken back: the broker holds no policy for it again$/m
        )
        expect(r.stdout).toMatch(
            /^wrongkey\s+state refused\s+state refused: forged \(signature does not verify\); nothing sent$/m
        )
        expect(r.stdout).toContain(
            "3 boards: 1 applied, 1 rejected, 1 state refused; states refused (not the board's own, not used) of wrongkey"
        )
        expect(r.stdout).toContain(
            `what to do (ahead): raise "version" in ${file} to 10 or more and push again`
        )
        expect(r.stdout).toMatch(
            /^what to do \(wrongkey\): its state is not signed with its key from this site key: the board holds another site key \(give it this one with 'dialguard flash --key KEYFILE'\), or someone else published it/m
        )
        expect(r.stderr).toContain(
            `dialguard: warning: board wrongkey: dialguard/${site}/wrongkey/state refused: forged (signature does not verify)\n`
        )
        expect(wrong.received).toStrictEqual([])
        expect(await retained(`dialguard/${site}/wrongkey/policy`)).toBe("")
        expect(await retained(`dialguard/${site}/ahead/policy`)).toBe("")
        expect(await retained(`dialguard/${site}/good/policy`)).not.toBe("")
    })

    test("a push every board refuses is taken back: the message before is restored, reconnects and status are clean", async () => {
        const site = "push-all-refuse"
        const a = await board(URL_PLAIN, site, "desk-a")
        const b = await board(URL_PLAIN, site, "desk-b")
        const v2 = await pushPolicy(
            policyFile("x", 2),
            keyFile(),
            "--site",
            site
        )
        expect(v2.code, v2.stdout).toBe(0)
        const before = await retained(`dialguard/${site}/desk-a/policy`)
        // with another site's key file no board's state verifies: nothing sent
        const wrongKey = keyFile(OTHER_KEY.toString("hex"))
        const got = a.received.length + b.received.length
        const w = await pushPolicy(
            policyFile("x", 3),
            wrongKey,
            "--site",
            site,
            "--json"
        )
        noStackTrace(w)
        expect(w.code).toBe(3)
        const wj = JSON.parse(w.stdout)
        expect(wj.sent).toBe(0)
        expect(
            wj.boards.map((x: any) => [x.board, x.result, x.refused])
        ).toStrictEqual([
            ["desk-a", "state refused", ["forged (signature does not verify)"]],
            ["desk-b", "state refused", ["forged (signature does not verify)"]],
        ])
        expect(a.received.length + b.received.length).toBe(got)
        expect(await retained(`dialguard/${site}/desk-a/policy`)).toBe(before)
        // both boards ran out of memory on a message as large as version 3's
        for (const x of [a, b])
            x.crashedAt =
                Buffer.byteLength(
                    await retained(`dialguard/${site}/${x.id}/policy`)
                ) + 1
        const r = await pushPolicy(
            policyFile("x", 3, {
                site: { name: "x, the second floor too", areaCode: "025" },
            }),
            keyFile(),
            "--site",
            site,
            "--json"
        )
        noStackTrace(r)
        expect(r.code).toBe(3)
        const j = JSON.parse(r.stdout)
        expect(
            j.boards.map((x: any) => [x.board, x.result, x.withdrawn])
        ).toStrictEqual([
            ["desk-a", "rejected", true],
            ["desk-b", "rejected", true],
        ])
        expect(j.boards[0].detail).toMatch(
            /^version 3 refused: policy message too large: \d+ bytes \(this board ran out of memory on one of \d+ bytes and restarted\); taken back: the broker holds version 2 for it again$/
        )
        expect(j.boards[0].hint).toMatch(
            /^its share of the policy is too large for it/
        )
        // the broker holds what it held before, byte for byte
        expect(await retained(`dialguard/${site}/desk-a/policy`)).toBe(before)
        expect(
            readPolicyMessage(
                await retained(`dialguard/${site}/desk-b/policy`)
            )!.version
        ).toBe(2)
        // a reconnect brings version 2 again, which the board has: no refusal
        await b.stop()
        b.received = []
        await b.start()
        for (let i = 0; i < 100 && b.received.length === 0; i++) await sleep(50)
        expect(readPolicyMessage(b.received[0]!)!.version).toBe(2)
        expect(b.rejected).toBeUndefined()
        const s = await dialguard([
            "status",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
        ])
        expect(s.stdout).toMatch(
            /^site push-all-refuse: policy version 2 on the broker$/m
        )
        expect(s.stdout).toMatch(/^desk-a\s+online\s+2\s+0\.1\.0\s+\S+ \S+$/m)
        expect(s.stdout).toMatch(/^desk-b\s+online\s+2\s+0\.1\.0\s+\S+ \S+$/m)
        expect(a.policyVersion).toBe(2)
    })

    test("applied means the board enforces the very text sent, not a version as high", async () => {
        const site = "push-very-text"
        // flashed with version 2 (another text) and version 5
        await board(URL_PLAIN, site, "same-v", { policyVersion: 2 })
        await board(URL_PLAIN, site, "newer", { policyVersion: 5 })
        const fresh = await board(URL_PLAIN, site, "fresh")
        const file = policyFile("x", 2)
        const r = await pushPolicy(file, keyFile(), "--site", site)
        noStackTrace(r)
        expect(r.code).toBe(3)
        expect(r.stdout).toMatch(/^fresh\s+applied\s+version 2$/m)
        expect(r.stdout).toMatch(
            /^same-v\s+rejected\s+version 2 refused: version 2 is already enforced with other content \(replayed or forged\); taken back: the broker holds no policy for it again$/m
        )
        expect(r.stdout).toMatch(
            /^newer\s+rejected\s+version 2 refused: older than version 5; taken back/m
        )
        expect(r.stdout).toContain("3 boards: 1 applied, 2 rejected")
        expect(r.stdout).toContain(
            `what to do (same-v): raise "version" in ${file} to 3 or more and push again`
        )
        expect(r.stdout).toContain(
            `what to do (newer): raise "version" in ${file} to 6 or more and push again`
        )
        expect(fresh.policyVersion).toBe(2)
        // a board past this version that leaves the message unread
        const u = await board(URL_PLAIN, site, "unread", {
            policyVersion: 7,
            unread: true,
        })
        const r2 = await pushPolicy(file, keyFile(), "--site", site)
        expect(r2.code).toBe(3)
        expect(r2.stdout).toMatch(
            /^unread\s+superseded\s+runs version 7, newer than 2: this message was not applied; taken back: the broker holds no policy for it again$/m
        )
        expect(r2.stdout).toContain(
            `what to do (newer): raise "version" in ${file} to 6 or more and push again`
        )
        expect(r2.stdout).toContain(
            `what to do (unread): raise "version" in ${file} to 8 or more and push again`
        )
        expect(u.policyVersion).toBe(7)
        // the same file again: the board that has it says so by its hash
        const again = await pushPolicy(
            file,
            keyFile(),
            "--site",
            site,
            "--json"
        )
        const fr = JSON.parse(again.stdout).boards.find(
            (x: any) => x.board === "fresh"
        )
        expect(fr).toMatchObject({ result: "applied", detail: "version 2" })
    })

    test("no boards known: nothing published, warning, exit 5", async () => {
        const r = await dialguard([
            "policy",
            "push",
            policyFile("Empty Site", 1),
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
            "--json",
        ])
        noStackTrace(r)
        expect(r.code).toBe(5)
        expect(r.stderr).toContain(
            "warning: no boards known for site empty-site"
        )
        expect(r.stderr).toContain("nothing was published")
        expect(JSON.parse(r.stdout)).toMatchObject({
            site: "empty-site",
            version: 1,
            sent: 0,
            boards: [],
        })
    })

    test("offline and silent boards: offline / no answer, exit 4", async () => {
        const site = "push-quiet"
        await board(URL_PLAIN, site, "hung", { silent: true, policyVersion: 1 })
        const gone = await board(URL_PLAIN, site, "gone", { policyVersion: 1 })
        gone.crash()
        const r = await dialguard([
            "policy",
            "push",
            policyFile("x", 2),
            "--site",
            site,
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
            "--timeout",
            "1s",
        ])
        noStackTrace(r)
        expect(r.code).toBe(4)
        // its last state is kept: the version it had, when it was last seen
        expect(r.stdout).toMatch(
            /^gone\s+offline\s+still at version 1; last seen \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; gets version 2 when it reconnects \(the message is retained\)$/m
        )
        expect(r.stdout).toMatch(
            /^hung\s+no answer\s+no answer within 1 s; still at version 1$/m
        )
    })

    test("an older version published over the pushed one while push waits (two pushes at once): push puts its own back", async () => {
        const site = "push-overwritten"
        await board(URL_PLAIN, site, "busy", { silent: true, policyVersion: 1 })
        const topic = `dialguard/${site}/busy/policy`
        const run = pushPolicy(
            policyFile("x", 3),
            keyFile(),
            "--site",
            site,
            "--timeout",
            "5s"
        )
        const holds = (v: number) => async () =>
            (await retained(topic)).startsWith("{") &&
            readPolicyMessage(await retained(topic))?.version === v
        const until = async (ok: () => Promise<boolean>) => {
            const end = Date.now() + 20000
            while (!(await ok()) && Date.now() < end)
                await new Promise(r => setTimeout(r, 50))
        }
        await until(holds(3))
        const ours = await retained(topic)
        // (as the slower of two pushes started together publishes: after)
        const older = ours.replace('"version":3', '"version":2')
        expect(readPolicyMessage(older)?.version).toBe(2)
        await publishRetained(topic, older)
        const r = await run
        noStackTrace(r)
        expect(r.code).toBe(4)
        expect(r.stderr).toContain(
            `${topic}: version 2 was published over version 3 (another push?); published version 3 again`
        )
        expect(await retained(topic)).toBe(ours)
    })

    test("a lower version than the broker's, or the same version changed, is refused", async () => {
        const site = "push-forward"
        const key = keyFile()
        await board(URL_PLAIN, site, "fw")
        const v2 = await dialguard([
            "policy",
            "push",
            policyFile(site, 2),
            "--broker",
            URL_PLAIN,
            "--key",
            key,
        ])
        expect(v2.code).toBe(0)
        const v1 = await dialguard([
            "policy",
            "push",
            policyFile(site, 1),
            "--broker",
            URL_PLAIN,
            "--key",
            key,
        ])
        noStackTrace(v1)
        expect(v1.code).toBe(1)
        expect(v1.stderr).toContain(
            "board fw already has policy version 2 on the broker; boards only move forward"
        )
        const changed = policyFile(site, 2, {
            handsets: [{ extension: "8001", department: "admin" }],
        })
        const same = await pushPolicy(changed, key)
        expect(same.code).toBe(1)
        expect(same.stderr).toContain('raise "version"')
        const whole = validatePolicy(policyDoc(site, 2)).policy!
        expect(
            readPolicyMessage(await retained(`dialguard/${site}/fw/policy`))!
                .policy
        ).toBe(policyText(boardPolicyDoc(whole, "fw", ["8001", "8101"])))
    })

    test("bad key files: one clear line, exit 1, nothing published", async () => {
        const file = policyFile("Bad Key", 1)
        const b = await board(URL_PLAIN, "bad-key", "k1")
        const cases: [string, RegExp][] = [
            [
                KEY_HEX.slice(1),
                /bad key file .*: 63 hex digits, expected 64 \(32 bytes\)$/,
            ],
            [
                "zz" + KEY_HEX.slice(2),
                /bad key file .*: "z" at character 1 is not a hex digit/,
            ],
            ["", /bad key file .*: it is empty/],
        ]
        for (const [content, re] of cases) {
            const r = await pushPolicy(file, tempFile("k", content))
            noStackTrace(r)
            expect(r.code).toBe(1)
            expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
            expect(r.stderr.trimEnd()).toMatch(re)
        }
        const missing = await pushPolicy(file, join(TMP, "nope.key"))
        expect(missing.code).toBe(1)
        expect(missing.stderr).toMatch(
            /cannot read key file .*nope\.key: no such file/
        )
        expect(await retained("dialguard/bad-key/k1/policy")).toBe("")
        expect(b.policyVersion).toBe(0)
    })

    test("an invalid policy: every problem listed, exit 1, the retained topic stays empty", async () => {
        const doc = policyDoc("Invalid Site", 1)
        doc.handsets[1].department = "nowhere"
        ;(doc.site as any).areaCode = "0266"
        await board(URL_PLAIN, "invalid-site", "i1")
        const r = await dialguard([
            "policy",
            "push",
            tempFile("bad.json", JSON.stringify(doc)),
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
        ])
        noStackTrace(r)
        expect(r.code).toBe(1)
        expect(r.stderr).toContain(
            "is invalid (2 problems); nothing was published"
        )
        expect(r.stderr).toContain("handsets[1].department")
        expect(r.stderr).toContain("site.areaCode")
        expect(await retained("dialguard/invalid-site/i1/policy")).toBe("")
    })

    test("a large site fits (each board gets its share); a too large one is refused before connecting", async () => {
        const site = (n: number, step = 1) =>
            Array.from({ length: n }, (_, i) => ({
                extension: String(20000 + step * i),
                department: "sales",
                allow: "local",
                name: `销售部第${i}号分机（长名字）`,
            }))
        // 300 handsets with long names: 26 KB of policy, ~2 KB per board
        const big = policyFile("Large Site", 1, { handsets: site(300) })
        await board(URL_PLAIN, "large-site", "l1", {
            ports: ["20001", "20002"],
        })
        const ok = await pushPolicy(big, keyFile(), "--json")
        expect(ok.code).toBe(0)
        expect(JSON.parse(ok.stdout).bytes).toBeLessThan(3000)

        // 3500 extensions numbered one by one (no runs to write as lo-hi)
        // do not fit in a board's message
        const file = policyFile("Big Site", 1, { handsets: site(3500, 2) })
        const check = await dialguard(["policy", "check", file])
        expect(check.code).toBe(0) // valid, just too large for a board
        const r = await pushPolicy(file, keyFile())
        noStackTrace(r)
        expect(r.code).toBe(1)
        expect(r.stderr).toMatch(
            /^dialguard: policy message too large: \d+ bytes, the boards accept at most 4096 .*other 3500 extensions.*nothing was published: split the site/
        )
        expect(r.stderr).not.toContain("connect")
    })

    test("a site name without a-z 0-9 needs --site", async () => {
        const file = policyFile("总部", 1)
        const r = await pushPolicy(file, keyFile())
        noStackTrace(r)
        expect(r.code).toBe(1)
        expect(r.stderr).toBe(
            'dialguard: cannot derive a site id from site.name "总部" (a-z 0-9 - only): give --site ID\n'
        )
        await board(URL_PLAIN, "zongbu", "z1")
        const ok = await dialguard([
            "policy",
            "push",
            file,
            "--site",
            "zongbu",
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
        ])
        expect(ok.code).toBe(0)
        expect(
            readPolicyMessage(await retained("dialguard/zongbu/z1/policy"))!
                .site
        ).toBe("zongbu")
    })

    test("usage errors exit 2", async () => {
        const file = policyFile("x", 1)
        const bad: [string[], string][] = [
            [["policy", "push", file, "--key", "k"], "missing --broker"],
            [["policy", "push", file, "--broker", URL_PLAIN], "missing --key"],
            [
                ["policy", "push", file, "--broker", "http://x", "--key", "k"],
                "http:// is not supported",
            ],
            [
                [
                    "policy",
                    "push",
                    file,
                    "--broker",
                    URL_PLAIN,
                    "--key",
                    "k",
                    "--timeout",
                    "soon",
                ],
                "bad --timeout",
            ],
            [
                [
                    "policy",
                    "push",
                    file,
                    "--broker",
                    URL_PLAIN,
                    "--key",
                    "k",
                    "--site",
                    "HQ",
                ],
                "bad --site",
            ],
            [
                [
                    "policy",
                    "push",
                    file,
                    "--broker",
                    URL_PLAIN,
                    "--key",
                    "k",
                    "--ca",
                    "ca.pem",
                ],
                "--ca needs an mqtts://",
            ],
        ]
        for (const [args, msg] of bad) {
            const r = await dialguard(args)
            expect(r.code, args.join(" ")).toBe(2)
            expect(r.stderr).toContain(msg)
        }
    })
})

describe.concurrent("status", { timeout: 60000 }, () => {
    test("online, offline (its last state kept), behind and refusing boards", async () => {
        const site = "status-site"
        await board(URL_PLAIN, site, "desk-1", {
            policyVersion: 2,
            firmware: "0.1.0",
        })
        const d3 = await board(URL_PLAIN, site, "desk-3", {
            key: OTHER_KEY,
            policyVersion: 2,
            lastError: "SIP registration failed",
        })
        const gone = await board(URL_PLAIN, site, "desk-2", {
            policyVersion: 2,
        })
        gone.crash()
        const push = await dialguard([
            "policy",
            "push",
            policyFile(site, 3),
            "--broker",
            URL_PLAIN,
            "--key",
            keyFile(),
        ])
        expect(push.code).toBe(3)
        // push sent desk-3 nothing (its state does not verify with this
        // site key); a message published by other means (here: desk-1's,
        // signed with the site key desk-3 does not have) stays, and
        // desk-3's refusal shows
        const forged = readPolicyMessage(
            await retained(`dialguard/${site}/desk-1/policy`)
        )!
        await publishRetained(
            `dialguard/${site}/desk-3/policy`,
            policyMessageText({ ...forged, board: "desk-3" })
        )
        for (let i = 0; i < 100 && !d3.rejected; i++) await sleep(50)

        const r = await dialguard([
            "status",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
        ])
        noStackTrace(r)
        expect(r.code).toBe(0)
        const lines = r.stdout.trimEnd().split("\n")
        expect(lines[0]).toBe(
            "site status-site: policy version 3 on the broker"
        )
        expect(lines[1]).toMatch(
            /^board\s+state\s+policy\s+firmware\s+last seen \(Beijing\)\s+last error$/
        )
        expect(lines[2]).toMatch(
            /^desk-1\s+online\s+3\s+0\.1\.0\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/
        )
        // offline: its will said so; its last version, firmware, last seen stay
        expect(lines[3]).toMatch(
            /^desk-2\s+offline\s+2 \(behind 3\)\s+0\.1\.0\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/
        )
        expect(lines[4]).toMatch(
            /^desk-3\s+online\s+2 \(behind 3\)\s+0\.1\.0\s+\S+ \S+\s+SIP registration failed; refused policy version 3: signature does not match the site key$/
        )
        expect(lines).toHaveLength(5)

        const j = JSON.parse(
            (
                await dialguard([
                    "status",
                    "--broker",
                    URL_PLAIN,
                    "--site",
                    site,
                    "--json",
                ])
            ).stdout
        )
        expect(j.policies).toStrictEqual({ [site]: 3 })
        expect(
            j.boards.map((b: any) => [
                b.board,
                b.online,
                b.policyVersion ?? null,
            ])
        ).toStrictEqual([
            ["desk-1", true, 3],
            ["desk-2", false, 2],
            ["desk-3", true, 2],
        ])
        expect(j.boards[2].rejected).toStrictEqual({
            version: 3,
            reason: "signature does not match the site key",
        })
        expect(j.boards[1]).toMatchObject({ firmware: "0.1.0", online: false })
        expect(j.boards[1].ts).toBeGreaterThan(0)
    })

    test("without --site: every site, with a site column", async () => {
        await board(URL_PLAIN, "allsites-a", "x1")
        await board(URL_PLAIN, "allsites-b", "x1")
        const r = await dialguard(["status", "--broker", URL_PLAIN])
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(/^site\s+board\s+state/m)
        expect(r.stdout).toMatch(/^allsites-a\s+x1\s+online\s+none/m)
        expect(r.stdout).toMatch(/^allsites-b\s+x1\s+online\s+none/m)
    })

    test("no boards: says so, exit 0", async () => {
        const r = await dialguard([
            "status",
            "--broker",
            URL_PLAIN,
            "--site",
            "nobody-here",
        ])
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(
            "site nobody-here: no policy on the broker yet\nno boards known under dialguard/nobody-here/ (no retained state topics)\n"
        )
    })
})

// 2026-11-03 14:05:09 and 2026-11-20 09:30:00 Beijing time
const T1 = Date.UTC(2026, 10, 3, 6, 5, 9) / 1000
const T2 = Date.UTC(2026, 10, 20, 1, 30, 0) / 1000

describe("collect and report", { timeout: 60000 }, () => {
    test("collect: stores each record once, across resends, restarts and downtime", async () => {
        const site = "collect-site"
        const dir = join(TMP, "register-collect")
        const b = await board(URL_PLAIN, site, "desk-a")
        const args = [
            "collect",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
            "--out",
            dir,
        ]
        let d = new Daemon(args)
        await d.waitFor(
            /collecting the call records of site collect-site .* \(0 records already there\)/
        )
        const call = {
            handset: "8001",
            number: "01012345678",
            category: "domestic",
            start: T1,
            seconds: 125,
        }
        const id1 = await b.call(call)
        await b.call(call, 1) // the board was not sure: resends
        const id2 = await b.call({
            ...call,
            number: "0085212345678",
            category: "international",
            start: T2,
            seconds: 61,
        })
        await d.waitFor(new RegExp(`duplicate ${id1} ignored`))
        await d.waitFor(new RegExp(id2))
        expect(d.stdout).toContain(
            `2026-11-03 14:05:09  8001 -> 01012345678  domestic  2:05  ${id1}\n`
        )
        expect(await d.stop()).toBe(0)

        // while the collector is down the broker queues (persistent session)
        const id3 = await b.call({ ...call, start: 0, seconds: 0 })
        d = new Daemon(args)
        await d.waitFor(/\(2 records already there\)/)
        await d.waitFor(new RegExp(id3))
        await b.call(call, 1) // a resend after the restart
        await d.waitFor(new RegExp(`duplicate ${id1} ignored`))
        expect(await d.stop()).toBe(0)

        // one row per id in calls.sqlite, the record as the board sent it
        const store = new CallStore(join(dir, "calls.sqlite"), {
            readonly: true,
        })
        const nov = store.month("2026-11")
        expect(nov.map(r => r.id)).toStrictEqual([id1, id2])
        expect(nov[0]).toStrictEqual({ board: "desk-a", ...call, id: id1 })
        expect(store.month("unknown").map(r => r.id)).toStrictEqual([id3])
        expect(store.size).toBe(3)
        expect(store.conflicts()).toStrictEqual([])
        store.close()
    })

    test("collect: reconnects by itself after the broker restarts", async () => {
        const restarting = await startBroker(BROKER, TMP, { forgetful: true })
        const url = restarting.url
        const d = new Daemon([
            "collect",
            "--broker",
            url,
            "--site",
            "restart",
            "--out",
            join(TMP, "register-restart"),
        ])
        try {
            await d.waitFor(/collecting/)
            await restarting.stop()
            await d.waitFor(
                /lost the connection to mqtt:\/\/127\.0\.0\.1:\d+; reconnecting/
            )
            await restarting.start()
            await d.waitFor(/reconnected to/)
            // the broker lost the session: the collector subscribed again
            const b = await board(url, "restart", "desk-r")
            const rec = {
                handset: "8001",
                number: "01012345678",
                category: "domestic",
                start: T1,
                seconds: 3,
            }
            // like a board, resend (same id) until it is seen: the
            // re-subscription may still be on its way
            const id = await b.call(rec)
            for (let i = 0; ; i++) {
                try {
                    await d.waitFor(new RegExp(id), 1, 1000)
                    break
                } catch (e) {
                    if (i === 10) throw e
                    await b.call(rec, 1)
                }
            }
            await b.stop()
        } finally {
            expect(await d.stop()).toBe(0)
            await restarting.stop()
        }
    })

    test("report: two boards summed per department, premium attempts, 3 rings, register, CSV", async () => {
        const site = "report-site"
        const dir = join(TMP, "register-report")
        const a = await board(URL_PLAIN, site, "desk-a")
        const b = await board(URL_PLAIN, site, "desk-b")
        await a.counters("2026-11", {
            "8001": {
                calls: { local: 2, domestic: 1 },
                seconds: { local: 300, domestic: 125 },
                blocked: { premium: 2 },
                incoming: { onTime: 3, late: 1 },
                caller: { onTime: 2, late: 2 },
            },
            "8000": {
                incoming: { onTime: 5, forwarded: 1, missed: 1 },
                caller: { onTime: 4, late: 1, missed: 1 },
            },
        })
        await a.counters("unknown", {
            "8001": { calls: { local: 2 }, seconds: { local: 30 } },
        })
        await a.counters("2026-10", {
            "8001": { calls: { local: 99 }, seconds: { local: 9999 } },
        })
        await b.counters("2026-11", {
            "8101": {
                calls: { international: 1, mobile: 3 },
                seconds: { international: 600, mobile: 200 },
                blocked: { premium: 1, class: 2 },
                incoming: { onTime: 1, late: 1 },
                caller: { late: 2 },
            },
            // the handset moved to desk-b during the month
            "8001": { calls: { local: 1 }, seconds: { local: 60 } },
            "9999": { calls: { internal: 1 }, seconds: { internal: 10 } },
        })
        const col = new Daemon([
            "collect",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
            "--out",
            dir,
        ])
        await col.waitFor(/collecting/)
        const id1 = await a.call({
            handset: "8001",
            number: "01012345678",
            category: "domestic",
            start: T1,
            seconds: 125,
        })
        const id2 = await b.call({
            handset: "8101",
            number: "0085212345678",
            category: "international",
            start: T2,
            seconds: 600,
        })
        await col.waitFor(new RegExp(`${id1}|${id2}`), 2)
        expect(await col.stop()).toBe(0)

        const policy = policyFile("Report Site", 1)
        const csv = join(TMP, "nov.csv")
        const base = [
            "report",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
            "--month",
            "2026-11",
        ]
        const r = await dialguard([
            ...base,
            "--policy",
            policy,
            "--calls",
            dir,
            "--csv",
            csv,
        ])
        noStackTrace(r)
        expect(r.code).toBe(0)
        expect(r.stderr).toContain(
            `dialguard: wrote ${join(TMP, "nov-handsets.csv")}`
        )
        const t = r.stdout
        expect(t).toContain(
            "DialGuard report: site report-site, month 2026-11 (Beijing time)"
        )
        expect(t).toContain("boards: desk-a, desk-b")
        // handsets: calls / minutes per used category, then premium, other
        // blocked; the handset's view: on time, late, forwarded, missed; the
        // caller's: calls ended here, answered within 3 of the caller's rings
        expect(t).toMatch(
            /^handset\s+name\s+department\s+internal\s+local\s+mobile\s+domestic\s+international\s+total\s+premium\s+other blocked\s+on time\s+late\s+forwarded\s+missed\s+ended\s+≤3 rings$/m
        )
        expect(t).toMatch(
            /^8001\s+王经理\s+人事行政部\s+-\s+3 \/ 6\.0\s+-\s+1 \/ 2\.1\s+-\s+4 \/ 8\.1\s+2\s+-\s+3\s+1\s+-\s+-\s+4\s+50\.0%$/m
        )
        expect(t).toMatch(
            /^8000\s+前台 "A", 1楼\s+人事行政部\s+(-\s+){8}5\s+-\s+1\s+1\s+6\s+66\.7%$/m
        )
        expect(t).toMatch(/^8102\s+销售部(\s+-){14}$/m) // in the policy, no calls
        expect(t).toMatch(/^9999\s+\(not in policy\)\s+1 \/ 0\.2/m)
        expect(t).toMatch(
            /^人事行政部 \(admin\)\s+2\s+-\s+3 \/ 6\.0\s+-\s+1 \/ 2\.1\s+-\s+4 \/ 8\.1\s+2\s+-\s+8\s+1\s+1\s+1\s+10\s+60\.0%$/m
        )
        expect(t).toMatch(
            /^销售部 \(sales\)\s+2\s+-\s+-\s+3 \/ 3\.3\s+-\s+1 \/ 10\.0\s+4 \/ 13\.3\s+1\s+2\s+1\s+1\s+-\s+-\s+2\s+0\.0%$/m
        )
        expect(t).toContain(
            "Site: 12 incoming calls ended; 6 answered within 3 rings of the caller's first ring (50.0%), 5 later, 1 given up by the caller."
        )
        expect(t).toContain(
            "share of them answered within 3 rings of the caller's first ring"
        )
        expect(t).toMatch(
            /^Premium-line attempts.*\nhandset\s+name\s+department\s+attempts\n8001\s+王经理\s+人事行政部\s+2\n8101\s+销售部\s+1$/m
        )
        expect(t).toMatch(
            /^2026-11-03 14:05:09\s+8001\s+人事行政部\s+01012345678\s+domestic\s+2:05$/m
        )
        expect(t).toMatch(
            /^2026-11-20 09:30:00\s+8101\s+销售部\s+0085212345678\s+international\s+10:00$/m
        )
        expect(t).toContain(
            'note: board desk-a also counted 2 calls before it knew the date (month "unknown")'
        )

        // CSV: BOM, CRLF only, quoting, Chinese intact, numbers kept as text;
        // headers in one language (Chinese by default), whole numbers only
        const raw = readFileSync(join(TMP, "nov-handsets.csv"), "utf8")
        expect(raw.startsWith("\uFEFF分机,名称,部门编号,部门,设备,")).toBe(true)
        expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/)
        expect(raw).toContain('8000,"前台 ""A"", 1楼",admin,人事行政部,desk-a,')
        const rows = parseCsv(raw)
        for (const h of rows[0])
            expect(h, "no English header").not.toMatch(/[a-z]/)
        const col8001 = rows.find(x => x[0] === "8001")!
        const at = (name: string) => rows[0].indexOf(name)
        expect(col8001[at("市话 通话次数")]).toBe("3")
        expect(col8001[at("市话 通话秒数")]).toBe("360")
        // the records of this board are of the older kind (long distance
        // only): billed minutes known for long distance, left blank else
        expect(col8001[at("市话 计费分钟")]).toBe("")
        expect(col8001[at("国内长途 计费分钟")]).toBe("3") // 125 s: 3 started minutes
        expect(col8001[at("合计 计费分钟")]).toBe("")
        expect(col8001[at("声讯台拦截")]).toBe("2")
        expect(col8001[at("设备")]).toBe("desk-a desk-b")
        for (const row of rows.slice(1))
            for (const cell of row.slice(5))
                expect(cell, "whole numbers or blank").toMatch(
                    /^(\d+(\.\d)?)?$/
                )
        for (const h of rows[0].filter(h => /计费分钟|秒数|次数/.test(h)))
            for (const row of rows.slice(1))
                expect(row[at(h)], h).toMatch(/^\d*$/)
        const deps = parseCsv(
            readFileSync(join(TMP, "nov-departments.csv"), "utf8")
        )
        const admin = deps.find(x => x[0] === "admin")!
        expect(admin[deps[0].indexOf("部门")]).toBe("人事行政部")
        // the handset's view, then the caller's
        expect(admin[deps[0].indexOf("三声内接听率(%)")]).toBe("88.9")
        expect(admin[deps[0].indexOf("来电三声内接听率(%)")]).toBe("60")
        expect(admin[deps[0].indexOf("来电(止于本机)")]).toBe("10")
        expect(admin[deps[0].indexOf("国内长途 计费分钟")]).toBe("3")
        expect(deps.map(x => x[0])).toStrictEqual([
            "部门编号",
            "admin",
            "sales",
            "(not in policy)",
        ])
        expect(deps[2][deps[0].indexOf("分机数")]).toBe("2")
        expect(deps[2][deps[0].indexOf("国际长途 计费分钟")]).toBe("10")
        const regRaw = readFileSync(join(TMP, "nov-long-distance.csv"), "utf8")
        expect(regRaw.split("\r\n")[0]).toBe(
            "\uFEFF开始时间(北京时间),分机,部门,号码,类别,通话秒数,时长,计费分钟,设备,记录编号,授权码使用人,私人电话"
        )
        expect(regRaw).toContain(
            `2026-11-03 14:05:09,8001,人事行政部,"=""01012345678""",国内长途,125,2:05,3,desk-a,${id1},,\r\n`
        )
        expect(parseCsv(regRaw)[2][3]).toBe("0085212345678")
        // the register's billed minutes add up to the handsets'
        const regMinutes = parseCsv(regRaw)
            .slice(1)
            .reduce((n, x) => n + Number(x[7]), 0)
        const ldMinutes = rows
            .slice(1)
            .reduce(
                (n, x) =>
                    n +
                    Number(x[at("国内长途 计费分钟")] || 0) +
                    Number(x[at("国际长途 计费分钟")] || 0),
                0
            )
        expect(regMinutes).toBe(13)
        expect(ldMinutes).toBe(regMinutes)

        // --lang en: English headers only, in every file
        const enCsv = join(TMP, "nov-en.csv")
        const en = await dialguard([
            ...base,
            "--policy",
            policy,
            "--calls",
            dir,
            "--csv",
            enCsv,
            "--lang",
            "en",
        ])
        expect(en.code, en.stderr).toBe(0)
        const enRows = parseCsv(
            readFileSync(join(TMP, "nov-en-handsets.csv"), "utf8")
        )
        expect(enRows[0].slice(0, 8)).toStrictEqual([
            "handset",
            "name",
            "department",
            "department name",
            "boards",
            "internal calls",
            "internal seconds",
            "internal billed minutes",
        ])
        for (const kind of ["handsets", "departments", "long-distance"])
            for (const h of parseCsv(
                readFileSync(join(TMP, `nov-en-${kind}.csv`), "utf8")
            )[0])
                expect(h, `${kind}: no Chinese header`).not.toMatch(
                    /[\u4e00-\u9fff]/
                )
        expect(
            enRows.find(x => x[0] === "8001")![
                enRows[0].indexOf("domestic billed minutes")
            ]
        ).toBe("3")

        // JSON, and per handset only without --policy
        const j = JSON.parse((await dialguard([...base, "--json"])).stdout)
        expect(j.departments).toBeUndefined()
        expect(j.register).toBeUndefined()
        expect(j.handsets.map((h: any) => h.extension)).toStrictEqual([
            "8000",
            "8001",
            "8101",
            "9999",
        ])
        const h8101 = j.handsets.find((h: any) => h.extension === "8101")
        expect(h8101).toMatchObject({
            premium: 1,
            otherBlocked: 2,
            onTimePercent: 50,
            callsEnded: 2,
            callerOnTimePercent: 0,
            totalCalls: 4,
            totalSeconds: 800,
        })
        expect(j.premium).toStrictEqual([
            { extension: "8001", name: "", department: "", attempts: 2 },
            { extension: "8101", name: "", department: "", attempts: 1 },
        ])
        // --csv into a folder: DIR/<site>-<month>-*.csv
        const folder = join(TMP, "bills")
        mkdirSync(folder)
        for (const target of [folder + "/", folder]) {
            const f = await dialguard([
                ...base,
                "--policy",
                policy,
                "--csv",
                target,
            ])
            expect(f.code, f.stderr).toBe(0)
            for (const kind of ["handsets", "departments"])
                expect(f.stderr).toContain(
                    `dialguard: wrote ${join(folder, `report-site-2026-11-${kind}.csv`)}\n`
                )
        }
        expect(readdirSync(folder).sort()).toStrictEqual([
            "report-site-2026-11-departments.csv",
            "report-site-2026-11-handsets.csv",
        ])

        const plain = await dialguard(base)
        expect(plain.stdout).toContain("Departments: give --policy FILE")
        expect(plain.stdout).toContain(
            "Long-distance register (rule (一)4): not included"
        )
    })

    test("report: the bill in 元 per handset, owner and department, fines, register, missed calls; CSV and a workbook read back by another library", async () => {
        const site = "bill-site"
        const dir = join(TMP, "register-bill")
        const a = await board(URL_PLAIN, site, "desk-a")
        await a.counters("2026-11", {
            "8001": {
                calls: { local: 1, domestic: 1, international: 1, tollfree: 1 },
                seconds: {
                    local: 181,
                    domestic: 125,
                    international: 61,
                    tollfree: 120,
                },
                blocked: { premium: 1 },
            },
            // one mobile call more than the records hold
            "8101": {
                calls: { mobile: 2 },
                seconds: { mobile: 61 },
                blocked: { premium: 1 },
                caller: { missed: 1 },
            },
        })
        const col = new Daemon([
            "collect",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
            "--out",
            dir,
        ])
        await col.waitFor(/collecting/)
        const out = (
            handset: string,
            number: string,
            category: string,
            start: number,
            seconds: number,
            more = {}
        ) =>
            a.call({
                handset,
                number,
                category,
                start,
                seconds,
                outcome: seconds ? "answered" : "busy",
                ...more,
            } as any)
        const ids = [
            await out("8001", "52345678", "local", T1, 181, {
                answered: T1 + 5,
                end: T1 + 186,
            }), // 22 + 11
            await out("8001", "01012345678", "domestic", T1 + 600, 125, {
                dial: "1790901012345678",
            }), // 21 × 3
            await out("8001", "0085212345678", "international", T1 + 1200, 61), // 11 × 12
            await out("8001", "02012345678", "domestic", T1 + 1300, 0), // busy: 0
            await out("8001", "4001234567", "tollfree", T1 + 1400, 120), // no tariff
            await out("8001", "16812345", "premium", T1 + 1500, 0, {
                outcome: "refused",
                code: "premium",
            }),
            await out("8101", "13912345678", "mobile", T2, 61), // 2 × 10
            await out("8101", "16888888", "premium", T2 + 60, 0, {
                outcome: "refused",
                code: "premium",
            }),
            await out("8101", "02587654321", "incoming", T2 + 120, 0, {
                dir: "in",
                outcome: "missed",
                for: "8102",
                rings: 6,
                hops: 1,
            }),
        ]
        await col.waitFor(new RegExp(ids[ids.length - 1]))
        expect(await col.stop()).toBe(0)
        const policy = policyFile("Bill Site", 1, {
            tariffs: {
                local: {
                    firstSeconds: 180,
                    first: 22,
                    unitSeconds: 60,
                    unit: 11,
                },
                mobile: { unitSeconds: 60, unit: 10 },
                domestic: { unitSeconds: 6, unit: 3 },
                international: {
                    unitSeconds: 6,
                    unit: 46,
                    prefixes: { "00852": 12 },
                },
            },
        })
        const doc = JSON.parse(readFileSync(policy, "utf8"))
        doc.handsets[1].owner = ["张三", "李四"]
        doc.departments[1].head = "赵总"
        writeFileSync(policy, JSON.stringify(doc))
        const xlsxFile = join(TMP, "bill.xlsx")
        const base = [
            "report",
            "--broker",
            URL_PLAIN,
            "--site",
            site,
            "--month",
            "2026-11",
            "--policy",
            policy,
            "--calls",
            dir,
        ]
        const r = await dialguard([
            ...base,
            "--csv",
            join(TMP, "bill.csv"),
            "--xlsx",
            xlsxFile,
        ])
        noStackTrace(r)
        expect(r.code, r.stderr).toBe(0)
        // priced independently: 33 + 63 + 132 + 20 分; two fines of 100 元
        expect(r.stdout).toContain(
            "calls 2.48 元, premium fines 200.00 元, total 202.48 元"
        )
        expect(r.stderr).toContain("no tariff for tollfree")
        expect(r.stderr).toContain(
            "handset 8101: mobile calls: 1 in the call records, 2 on its counters"
        )
        expect(r.stderr).not.toContain("handset 8001:")
        // per person as per handset, each category then the totals: 8001's
        // charges shared by 张三 and 李四, each category's shares adding up
        // to each one's half (33 = 17 + 16, 63 = 31 + 32, 132 = 66 + 66)
        expect(r.stdout).toMatch(
            /^张三\s+8001\s+1\s+4\s+0\.17\s+0\s+0\s+0\.00\s+1\s+3\s+0\.31\s+1\s+2\s+0\.66\s+1\s+2\s+未定价\s+4\s+11\s+1\.14\s+50\.00\s+51\.14$/m
        )
        expect(r.stdout).toMatch(
            /^李四\s+8001\s+1\s+4\s+0\.16\s+0\s+0\s+0\.00\s+1\s+3\s+0\.32\s+1\s+2\s+0\.66\s+1\s+2\s+未定价\s+4\s+11\s+1\.14\s+50\.00\s+51\.14$/m
        )
        expect(r.stdout).toMatch(
            /^赵总\s+8101 8102\s+0\s+0\s+0\.00\s+1\s+2\s+0\.20(\s+0\s+0\s+0\.00){2}\s+0\s+0\s+未定价\s+1\s+2\s+0\.20\s+0\.00\s+0\.20$/m
        )
        expect(r.stdout).toMatch(
            /^sales\s+销售部\s+赵总\s+2\s+1\s+2\s+0\.20\s+100\.00\s+100\.00\s+100\.20$/m
        )
        expect(r.stdout).toMatch(/02587654321\s+8102\s+6$/m)

        // CSV: one language, whole minutes, 元 with 2 decimals
        const handsetsCsv = parseCsv(
            readFileSync(join(TMP, "bill-bill-handsets.csv"), "utf8")
        )
        expect(handsetsCsv[0].slice(0, 4)).toStrictEqual([
            "分机",
            "名称",
            "部门",
            "责任人",
        ])
        const h8001 = handsetsCsv.find(x => x[0] === "8001")!
        expect(h8001[handsetsCsv[0].indexOf("市话 计费分钟")]).toBe("4")
        expect(h8001[handsetsCsv[0].indexOf("合计(元)")]).toBe("102.28")
        expect(handsetsCsv[handsetsCsv.length - 1][0]).toBe("合计")
        // the counters' CSV counts the same whole billed minutes as the bill
        const counted = parseCsv(
            readFileSync(join(TMP, "bill-handsets.csv"), "utf8")
        )
        const c8001 = counted.find(x => x[0] === "8001")!
        expect(c8001[counted[0].indexOf("合计 计费分钟")]).toBe(
            h8001[handsetsCsv[0].indexOf("计费分钟")]
        )
        expect(c8001[counted[0].indexOf("合计 计费分钟")]).toBe("11")
        expect(c8001[counted[0].indexOf("市话 计费分钟")]).toBe("4")
        expect(c8001[counted[0].indexOf("市话 通话秒数")]).toBe("181")
        const en = await dialguard([
            ...base,
            "--lang",
            "en",
            "--csv",
            join(TMP, "bill-en.csv"),
        ])
        expect(en.code, en.stderr).toBe(0)
        const enCsv = readFileSync(join(TMP, "bill-en-bill-owners.csv"), "utf8")
        const cats = [
            "local",
            "mobile",
            "domestic",
            "international",
            "tollfree",
        ]
        expect(enCsv.split("\r\n")[0]).toBe(
            "\uFEFFResponsible,Handsets," +
                cats
                    .map(
                        c => `${c} Calls,${c} Billed minutes,${c} Charges (CNY)`
                    )
                    .join(",") +
                ",Calls,Billed minutes,Charges (CNY),Fines (CNY),Total (CNY)"
        )
        // the totals row sums the money only (a shared handset's calls
        // would count twice)
        const owners = parseCsv(enCsv)
        expect(owners[owners.length - 1]).toStrictEqual([
            "Total",
            "",
            ...cats.flatMap(c => [
                "",
                "",
                {
                    local: "0.33",
                    mobile: "0.20",
                    domestic: "0.63",
                    international: "1.32",
                    tollfree: "",
                }[c]!,
            ]),
            "",
            "",
            "2.48",
            "100.00", // 8101's fine is its department's (no owner)
            "102.48",
        ])

        // the workbook, read by SheetJS (not exceljs, which wrote it)
        const XLSX = await import("xlsx")
        const wb = XLSX.read(readFileSync(xlsxFile), {
            cellNF: true,
            cellDates: true,
        })
        expect(wb.SheetNames).toStrictEqual([
            "话费汇总",
            "责任人",
            "部门",
            "长途登记",
            "声讯台",
            "未接来电",
        ])
        const rows = (name: string) =>
            XLSX.utils.sheet_to_json<any[]>(wb.Sheets[name], {
                header: 1,
                raw: true,
            })
        const sum = rows("话费汇总")
        const totals = sum[sum.length - 1]
        expect(totals[0]).toBe("合计")
        expect(totals[sum[0].indexOf("合计(元)")]).toBeCloseTo(202.48, 10)
        const ws = wb.Sheets["长途登记"]
        const reg = rows("长途登记")
        expect(reg[1][2]).toBe("01012345678") // text, leading 0 kept
        expect(ws["C2"].t).toBe("s")
        expect(ws["A2"].t).toBe("d") // a date
        expect(ws["H2"].z).toBe("0.00")
        expect(reg[1][7]).toBeCloseTo(0.63, 10)
        expect(
            rows("声讯台")
                .slice(1, 3)
                .map(x => x[4])
        ).toStrictEqual(["张三, 李四", "部门分摊"])
        expect(rows("未接来电")[1].slice(1, 5)).toStrictEqual([
            "8101",
            "02587654321",
            "8102",
            6,
        ])
        // printed: A4 landscape, one page wide (the sheet's own XML)
        const files = XLSX.read(readFileSync(xlsxFile), {
            bookFiles: true,
        }) as any
        for (let n = 1; n <= 6; n++) {
            const xml =
                files.files[`xl/worksheets/sheet${n}.xml`].content.toString()
            expect(xml).toMatch(/<pageSetup[^>]*paperSize="9"/)
            expect(xml).toMatch(/<pageSetup[^>]*orientation="landscape"/)
            expect(xml).toMatch(/<pageSetup[^>]*fitToWidth="1"/)
            expect(xml).toMatch(/<pageSetup[^>]*fitToHeight="0"/)
            expect(xml).toMatch(/<pageSetUpPr[^>]*fitToPage="1"/)
        }
        // every sheet ends with its totals row
        for (const name of wb.SheetNames) {
            const r = rows(name)
            expect(r[r.length - 1][0], name).toBe("合计")
        }
        // the owners' sheet: money as numbers, the shares per category
        const own = rows("责任人")
        const zhang = own.find(x => x[0] === "张三")!
        expect(zhang[own[0].indexOf("市话 话费(元)")]).toBeCloseTo(0.17, 10)
        expect(zhang[own[0].indexOf("话费(元)")]).toBeCloseTo(1.14, 10)
    })

    test("report: bad month, missing site", async () => {
        const r = await dialguard([
            "report",
            "--broker",
            URL_PLAIN,
            "--site",
            "x",
            "--month",
            "2026-13",
        ])
        expect(r.code).toBe(2)
        expect(r.stderr).toContain('bad --month "2026-13"')
        const s = await dialguard([
            "report",
            "--broker",
            URL_PLAIN,
            "--month",
            "2026-11",
        ])
        expect(s.code).toBe(2)
        expect(s.stderr).toContain("missing --site")
    })
})

describe.concurrent(
    "brokers: errors, logins, TLS, embedded",
    { timeout: 60000 },
    () => {
        test("unreachable broker: one line, no stack trace, exit 1", async () => {
            const port = await freePort()
            const r = await dialguard([
                "status",
                "--broker",
                `mqtt://127.0.0.1:${port}`,
            ])
            noStackTrace(r)
            expect(r.code).toBe(1)
            expect(r.stderr).toBe(
                `dialguard: cannot reach broker mqtt://127.0.0.1:${port}: connection refused\n`
            )
            const push = await dialguard([
                "policy",
                "push",
                policyFile("x", 1),
                "--key",
                keyFile(),
                "--broker",
                `mqtt://127.0.0.1:${port}`,
            ])
            expect(push.code).toBe(1)
            expect(push.stderr).toBe(
                `dialguard: cannot reach broker mqtt://127.0.0.1:${port}: connection refused\n`
            )
        })

        test("login: refused without or with a wrong password, works from the environment", async () => {
            const none = await dialguard(["status", "--broker", URL_AUTH])
            noStackTrace(none)
            expect(none.code).toBe(1)
            expect(none.stderr).toMatch(
                /^dialguard: broker mqtt:\/\/127\.0\.0\.1:\d+ refused the connection: (not authorized|bad username or password) \(no login given/
            )
            const wrong = await dialguard([
                "status",
                "--broker",
                URL_AUTH,
                "--username",
                "admin",
                "--password",
                "nope",
            ])
            expect(wrong.code).toBe(1)
            expect(wrong.stderr).toMatch(
                /refused the connection: (not authorized|bad username or password) \(login "admin"\)\n$/
            )
            const ok = await dialguard(
                ["status", "--broker", URL_AUTH, "--site", "auth-site"],
                {
                    DIALGUARD_MQTT_USERNAME: "admin",
                    DIALGUARD_MQTT_PASSWORD: "s3cret",
                }
            )
            expect(ok.stderr).toBe("")
            expect(ok.code).toBe(0)
        })

        test("TLS: --ca trusts the test CA, --insecure accepts it, neither fails clearly", async () => {
            const ca = join(FIXTURES, "ca.pem")
            const ok = await dialguard([
                "status",
                "--broker",
                URL_TLS,
                "--ca",
                ca,
                "--site",
                "tls-site",
            ])
            expect(ok.stderr).toBe("")
            expect(ok.code).toBe(0)
            const insecure = await dialguard([
                "status",
                "--broker",
                URL_TLS,
                "--insecure",
                "--site",
                "tls-site",
            ])
            expect(insecure.code).toBe(0)
            const untrusted = await dialguard(["status", "--broker", URL_TLS])
            noStackTrace(untrusted)
            expect(untrusted.code).toBe(1)
            expect(untrusted.stderr).toMatch(
                /^dialguard: cannot reach broker mqtts:\/\/127\.0\.0\.1:\d+: TLS: (certificate not signed by a trusted CA|self-signed certificate in the chain) \(give the broker's CA with --ca FILE, or --insecure for a test broker\)\n$/
            )
        })

        test("embedded broker: push to a stand-in board, status, stop", async () => {
            const d = new Daemon(["broker", "--port", "0"])
            await d.waitFor(/^mqtt:\/\/127\.0\.0\.1:\d+$/m)
            const url = d.stdout.trim().split("\n")[0]
            try {
                await board(url, "embedded", "desk-e", { policyVersion: 1 })
                const r = await dialguard([
                    "policy",
                    "push",
                    policyFile("Embedded", 2),
                    "--broker",
                    url,
                    "--key",
                    keyFile(),
                ])
                noStackTrace(r)
                expect(r.stdout).toMatch(/^desk-e\s+applied\s+version 2$/m)
                expect(r.code).toBe(0)
                const s = await dialguard([
                    "status",
                    "--broker",
                    url,
                    "--site",
                    "embedded",
                ])
                expect(s.stdout).toMatch(/^desk-e\s+online\s+2\s+0\.1\.0/m)
            } finally {
                expect(await d.stop()).toBe(0)
            }
        })
    }
)

describe.concurrent("a port already taken", { timeout: 60000 }, () => {
    /** A TCP port held by another listener for the test. */
    async function takenPort() {
        const server = createServer()
        await new Promise<void>(r => server.listen(0, "127.0.0.1", r))
        const port = (server.address() as { port: number }).port
        return { port, close: () => server.close() }
    }

    test("dialguard broker: one line saying so, exit 1 (it does not hang)", async () => {
        const taken = await takenPort()
        try {
            const d = new Daemon(["broker", "--port", String(taken.port)])
            expect(await d.exitWithin(20000)).toBe(1)
            expect(d.stdout).toBe("")
            expect(d.stderr).toBe(
                `dialguard: port ${taken.port} on 127.0.0.1 is already in use (another MQTT broker running?); ` +
                    "pick another port with --port N (0: any free one)\n"
            )
        } finally {
            taken.close()
        }
    })

    test("npm start (the simulator with its broker): one line saying so and how to pick another port", async () => {
        // what `npm start` runs, on a port that is taken
        const taken = await takenPort()
        try {
            const d = new Daemon(
                ["--embedded-broker", String(taken.port)],
                [
                    join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
                    join(ROOT, "sim", "interactive.ts"),
                ]
            )
            expect(await d.exitWithin(30000)).toBe(1)
            expect(d.stderr).toBe(
                `sim: cannot start the MQTT broker: port ${taken.port} on 127.0.0.1 is already in use (another MQTT broker running?); ` +
                    `pick another port: npm run sim -- --embedded-broker ${taken.port + 1}\n`
            )
            expect(d.stdout).not.toContain("starting the simulator")
        } finally {
            taken.close()
        }
    })
})

describe("key new and the benchmark hook", { timeout: 60000 }, () => {
    test("key new: 64 hex digits, mode 0600, never overwrites", async () => {
        const file = join(TMP, "new.key")
        const r = await dialguard(["key", "new", file])
        expect(r.code).toBe(0)
        const text = readFileSync(file, "utf8")
        expect(text).toMatch(/^[0-9a-f]{64}\n$/)
        expect(statSync(file).mode & 0o777).toBe(0o600)
        const again = await dialguard(["key", "new", file])
        expect(again.code).toBe(1)
        expect(again.stderr).toContain("already exists: not overwriting it")
        expect(readFileSync(file, "utf8")).toBe(text)
    })

    test("Beijing time and months", () => {
        expect(beijingTime(T1)).toBe("2026-11-03 14:05:09")
        expect(monthOf(Date.UTC(2026, 9, 31, 16, 0, 0) / 1000)).toBe("2026-11") // 00:00 Nov 1 in Beijing
        expect(monthOf(Date.UTC(2026, 9, 31, 15, 59, 59) / 1000)).toBe(
            "2026-10"
        )
        expect(monthOf(0)).toBe("unknown")
        for (let t = 0; t < 4e9; t += 86400 * 37 + 3599)
            expect(beijingTime(t || 1)).toBe(
                new Date(((t || 1) + 8 * 3600) * 1000)
                    .toISOString()
                    .slice(0, 19)
                    .replace("T", " ")
            )
    })

    test("measureCountersParsing parses and sums sample counters", () => {
        const r = measureCountersParsing({
            boards: 3,
            handsetsPerBoard: 4,
            minMs: 1,
        })
        expect(r.messages % 3).toBe(0)
        expect(r.messages).toBeGreaterThan(0)
        expect(r.messagesPerSecond).toBeGreaterThan(0)
        expect(r.handsetsPerMessage).toBe(4)
    })
})

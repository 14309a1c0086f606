// Shared pieces of the end-to-end fleet tests and the fleet bench: a real
// broker on free loopback ports (mosquitto, or aedes in this process: see
// test/brokerChoice.ts), the real admin CLI (bin/dialguard.mjs)
// as a child process, and a watcher that records every message of a site
// with its arrival time. No vitest here: scripts/fleetBench.ts uses it too.

import { ChildProcess, spawn, spawnSync } from "node:child_process"
import { createHmac } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { createServer, Server, Socket } from "node:net"
import { createServer as createTlsServer } from "node:tls"
import { join } from "node:path"
import type { Aedes, AuthenticateError } from "aedes"
import mqtt, { MqttClient } from "mqtt"
import { expect } from "vitest"
import { check, Marks } from "../sim/expect"
import { boardKey } from "../src/fleet/sign"
import {
    POLICY_MESSAGE_VERSION,
    PolicyMessage,
    policyMessageText,
    readPolicyMessage,
} from "../src/fleet/topics"
import type { Expectation } from "../sim/scenario"
import { SimSession } from "../sim/session"
import { BrokerKind, mosquittoProgram } from "./brokerChoice"

export const ROOT = join(import.meta.dirname, "..")
export const FIXTURES = join(ROOT, "test", "fixtures", "fleet")

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/**
 * The simulated SIP wall clock's start for tests that count a known month
 * (the simulator's default is the host's time): 2026-11-27 09:00 Beijing.
 */
export const SIM_START = Date.UTC(2026, 10, 27, 1, 0, 0)
export const SIM_MONTH = "2026-11"

/** Resolves to whether 127.0.0.1:`port` can be listened on now. */
function canListen(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const s = createServer()
        s.once("error", () => resolve(false))
        s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)))
    })
}

/** The first port of each vitest worker's block (FIRST_PORT + 1000 × worker). */
const FIRST_PORT = 20000
const BLOCK = 1000
let nextPort = 0

/**
 * A free loopback port for a server a test starts (mosquitto), below the
 * kernel's ephemeral range (32768-60999 on Linux), where listening on port
 * 0 (the simulator's bus, say) and outgoing connections take
 * theirs: nothing else takes it while the test restarts its broker on it.
 * Test files run side by side, each vitest worker (VITEST_POOL_ID) picks in
 * a block of its own, so two files never pick the same port.
 */
export async function freePort(): Promise<number> {
    const worker = Number(process.env["VITEST_POOL_ID"] ?? 0) % 12
    const start = (process.pid * 7) % BLOCK
    for (let i = 0; i < BLOCK; i++) {
        const port =
            FIRST_PORT + worker * BLOCK + ((start + nextPort++) % BLOCK)
        if (await canListen(port)) return port
    }
    throw new Error(`no free port in ${FIRST_PORT + worker * BLOCK}+${BLOCK}`)
}

export function portOpen(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const c = new Socket()
        c.once("connect", () => {
            c.destroy()
            resolve(true)
        })
        c.once("error", () => resolve(false))
        c.connect(port, "127.0.0.1")
    })
}

/**
 * A policy message as `policy push` builds it, from any text and site key:
 * signed with the key of board `signer` (derived from the site key).
 */
export function envelope(
    site: string,
    text: string,
    version: number,
    keyHex: string,
    extra: Record<string, unknown> = {},
    signer = "desk-a"
): string {
    const sig = createHmac(
        "sha256",
        boardKey(Buffer.from(keyHex, "hex"), signer)
    )
        .update(text, "utf8")
        .digest("hex")
    return policyMessageText({
        v: POLICY_MESSAGE_VERSION,
        site,
        version,
        sig,
        ...extra,
        policy: text,
    } as PolicyMessage)
}

/**
 * A message's payload parsed: JSON, or a policy message (a header line,
 * then the policy text) as its fields with the text as `policy`.
 */
export function parseMessage(text: string): any {
    try {
        return JSON.parse(text)
    } catch (e) {
        const m = readPolicyMessage(text)
        if (m) return m
        throw e
    }
}

// ------------------------------------------------------------- brokers

export interface BrokerOptions {
    /** A TLS listener too, with the test certificates of FIXTURES. */
    tls?: boolean
    /** A listener too that takes only this login (the others: anyone). */
    login?: { username: string; password: string }
    /**
     * stop() then start() lose the sessions and the queued and retained
     * messages (by default they are kept, as by mosquitto with persistence).
     */
    forgetful?: boolean
}

interface Ports {
    port: number
    tlsPort?: number
    authPort?: number
}

/** An MQTT broker on loopback ports, stopped and started again at will. */
export interface TestBroker {
    readonly kind: BrokerKind
    /** The plain, anonymous listener. */
    readonly url: string
    /** mqtts:// of the TLS listener ("" without opts.tls). */
    readonly tlsUrl: string
    readonly tlsPort?: number
    /** The listener that wants the login ("" without opts.login). */
    readonly authUrl: string
    /** What the broker reported (errors). */
    log: string
    start(): Promise<void>
    stop(): Promise<void>
}

/** A broker of that kind on free ports, started; its files go in `dir`. */
export async function startBroker(
    kind: BrokerKind,
    dir: string,
    opts: BrokerOptions = {}
): Promise<TestBroker> {
    const ports: Ports = { port: await freePort() }
    if (opts.tls) ports.tlsPort = await freePort()
    if (opts.login) ports.authPort = await freePort()
    const b =
        kind === "mosquitto"
            ? new MosquittoBroker(dir, ports, opts)
            : new AedesBroker(ports, opts)
    await b.start()
    return b
}

const urls = (p: Ports) => ({
    url: `mqtt://127.0.0.1:${p.port}`,
    tlsUrl: p.tlsPort ? `mqtts://127.0.0.1:${p.tlsPort}` : "",
    authUrl: p.authPort ? `mqtt://127.0.0.1:${p.authPort}` : "",
})

async function waitForPorts(ports: Ports, failed: () => string | undefined) {
    const all = [ports.port, ports.tlsPort, ports.authPort]
    for (let i = 0; i < 600; i++) {
        const why = failed()
        if (why) throw new Error(why)
        let open = true
        for (const p of all) if (p) open = open && (await portOpen(p))
        if (open) return
        await sleep(50)
    }
    throw new Error(`no broker on ports ${all.filter(p => p)} after 30 s`)
}

/**
 * mosquitto as a child process (persistent unless `forgetful`: the
 * collector's session and its queued records survive a restart).
 */
export class MosquittoBroker implements TestBroker {
    readonly kind = "mosquitto"
    proc?: ChildProcess
    log = ""
    readonly conf: string
    readonly url: string
    readonly tlsUrl: string
    readonly authUrl: string
    readonly tlsPort?: number
    constructor(
        readonly dir: string,
        readonly ports: Ports,
        opts: BrokerOptions = {}
    ) {
        ;({
            url: this.url,
            tlsUrl: this.tlsUrl,
            authUrl: this.authUrl,
        } = urls(ports))
        this.tlsPort = ports.tlsPort
        this.conf = join(dir, `mosquitto-${ports.port}.conf`)
        const lines = [
            "per_listener_settings true",
            // as root, mosquitto would switch to user mosquitto, who
            // cannot read the 0600 test key
            "user root",
            opts.forgetful ? "persistence false" : "persistence true",
            `persistence_location ${dir}/`,
            `persistence_file mosquitto-${ports.port}.db`,
            "log_dest stderr",
            "log_type error",
            `listener ${ports.port} 127.0.0.1`,
            "allow_anonymous true",
        ]
        if (ports.tlsPort)
            lines.push(
                `listener ${ports.tlsPort} 127.0.0.1`,
                "allow_anonymous true",
                `cafile ${join(FIXTURES, "ca.pem")}`,
                `certfile ${join(FIXTURES, "server.pem")}`,
                `keyfile ${join(FIXTURES, "server.key")}`
            )
        if (ports.authPort && opts.login) {
            const passwd = join(dir, `passwd-${ports.port}`)
            const { username, password } = opts.login
            const mp = spawnSync(
                mosquittoProgram("mosquitto_passwd"),
                ["-b", "-c", passwd, username, password],
                { encoding: "utf8" }
            )
            if (mp.status !== 0)
                throw new Error(`mosquitto_passwd failed: ${mp.stderr}`)
            lines.push(
                `listener ${ports.authPort} 127.0.0.1`,
                "allow_anonymous false",
                `password_file ${passwd}`
            )
        }
        writeFileSync(this.conf, lines.join("\n") + "\n")
    }

    /** mosquitto on free ports (the benchmark's). */
    static async onFreePorts(
        dir: string,
        tls = false
    ): Promise<MosquittoBroker> {
        const ports: Ports = { port: await freePort() }
        if (tls) ports.tlsPort = await freePort()
        return new MosquittoBroker(dir, ports)
    }

    get port() {
        return this.ports.port
    }

    async start() {
        const proc = spawn(mosquittoProgram(), ["-c", this.conf], {
            stdio: ["ignore", "ignore", "pipe"],
        })
        this.proc = proc
        proc.stderr!.on("data", d => (this.log += d))
        await waitForPorts(this.ports, () =>
            proc.exitCode !== null
                ? `mosquitto exited (${proc.exitCode}): ${this.log}`
                : undefined
        )
    }

    async stop() {
        const p = this.proc
        if (!p || p.exitCode !== null) return
        const exited = new Promise(r => p.once("exit", r))
        p.kill("SIGTERM")
        await exited
        this.proc = undefined
    }
}

/**
 * aedes (the broker of `dialguard broker`) in this process, on the same
 * kinds of listeners; stop() closes them and every connection. Unless
 * `forgetful`, the next start() takes over the sessions and retained
 * messages, as mosquitto reads its persistence file back.
 */
export class AedesBroker implements TestBroker {
    readonly kind = "aedes"
    log = ""
    readonly url: string
    readonly tlsUrl: string
    readonly authUrl: string
    readonly tlsPort?: number
    private broker?: Aedes
    private persistence?: unknown
    private servers: Server[] = []

    constructor(
        readonly ports: Ports,
        readonly opts: BrokerOptions = {}
    ) {
        ;({
            url: this.url,
            tlsUrl: this.tlsUrl,
            authUrl: this.authUrl,
        } = urls(ports))
        this.tlsPort = ports.tlsPort
    }

    async start() {
        const { Aedes } = await import("aedes")
        const { authPort } = this.ports
        const login = this.opts.login
        const broker = await Aedes.createBroker({
            persistence: this.opts.forgetful ? undefined : this.persistence,
            // only the login listener checks logins, like mosquitto's
            // per_listener_settings
            authenticate: (client, username, password, done) => {
                if ((client.conn as Socket).localPort !== authPort || !login)
                    return done(null, true)
                if (
                    username === login.username &&
                    password?.toString() === login.password
                )
                    return done(null, true)
                const e = new Error("login refused") as AuthenticateError
                e.returnCode = username === undefined ? 5 : 4
                done(e, false)
            },
        })
        broker.on("clientError", (c, e) => (this.log += `${c.id}: ${e}\n`))
        this.broker = broker
        this.persistence = (broker as unknown as { persistence: unknown })[
            "persistence"
        ]
        const { port, tlsPort } = this.ports
        const listen = (server: Server, p: number) =>
            new Promise<void>((resolve, reject) => {
                this.servers.push(server)
                server.once("error", reject)
                server.listen(p, "127.0.0.1", () => resolve())
            })
        await listen(createServer(broker.handle), port)
        if (tlsPort) {
            const tls = createTlsServer(
                {
                    key: readFileSync(join(FIXTURES, "server.key")),
                    cert: readFileSync(join(FIXTURES, "server.pem")),
                },
                broker.handle
            )
            await listen(tls, tlsPort)
        }
        if (authPort) await listen(createServer(broker.handle), authPort)
    }

    async stop() {
        const servers = this.servers.splice(0)
        const broker = this.broker
        this.broker = undefined
        await Promise.all([
            ...servers.map(s => new Promise(r => s.close(r))),
            new Promise<void>(r => (broker ? broker.close(() => r()) : r())),
        ])
    }
}

// ------------------------------------------------------------- the CLI

export interface Run {
    code: number | null
    stdout: string
    stderr: string
    ms: number
}

/** Runs `dialguard ARGS` to its end. */
export function dialguard(args: string[]): Promise<Run> {
    const t0 = Date.now()
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [join(ROOT, "bin", "dialguard.mjs"), ...args],
            { cwd: ROOT }
        )
        let stdout = ""
        let stderr = ""
        child.stdout.setEncoding("utf8").on("data", d => (stdout += d))
        child.stderr.setEncoding("utf8").on("data", d => (stderr += d))
        child.on("error", reject)
        child.on("close", code =>
            resolve({ code, stdout, stderr, ms: Date.now() - t0 })
        )
    })
}

/** A long-running `dialguard collect` writing the register into `dir`. */
export function collect(brokerUrl: string, site: string, dir: string) {
    return spawn(
        process.execPath,
        [
            join(ROOT, "bin", "dialguard.mjs"),
            "collect",
            "--broker",
            brokerUrl,
            "--site",
            site,
            "--out",
            dir,
        ],
        { cwd: ROOT, stdio: "ignore" }
    )
}

/** Stops a child process and waits for its end. */
export async function stopChild(child: ChildProcess | undefined) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise(r => child.once("exit", r))
    child.kill("SIGTERM")
    await exited
}

// ------------------------------------------------------------- the watcher

export interface Seen {
    t: number
    topic: string
    text: string
    retain: boolean
}

/** The retained message on `topic` (waits for one), read by a client of its own. */
export async function retainedOn(url: string, topic: string): Promise<string> {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    try {
        const got = new Promise<string>(resolve =>
            c.on("message", (t, p) => t === topic && resolve(p.toString()))
        )
        await c.subscribeAsync(topic, { qos: 1 })
        return await got
    } finally {
        await c.endAsync()
    }
}

/** Everything published under dialguard/<site>/, with arrival times. */
export class Watcher {
    seen: Seen[] = []
    client!: MqttClient
    constructor(
        readonly brokerUrl: string,
        readonly site: string,
        readonly clientId = "e2e-watcher"
    ) {}

    async start() {
        this.client = mqtt.connect(this.brokerUrl, {
            clientId: this.clientId,
            reconnectPeriod: 200,
        })
        this.client.on("error", () => {})
        this.client.on("message", (topic, payload, packet) =>
            this.seen.push({
                t: Date.now(),
                topic,
                text: payload.toString("utf8"),
                retain: packet.retain,
            })
        )
        await new Promise(r => this.client.once("connect", r))
        await this.client.subscribeAsync(`dialguard/${this.site}/#`, {
            qos: 1,
        })
    }

    /** Messages on `topic` (or those whose topic passes it) since `since`, parsed. */
    parsed(
        topic: string | ((t: string) => boolean),
        since = 0
    ): (Seen & { value: any })[] {
        const match =
            typeof topic === "string" ? (t: string) => t === topic : topic
        const out: (Seen & { value: any })[] = []
        for (const m of this.seen)
            if (m.t >= since && match(m.topic))
                try {
                    out.push({ ...m, value: parseMessage(m.text) })
                } catch {
                    // not JSON: not what is looked for
                }
        return out
    }

    /** The first message after `since` on `topic` for which `test` holds. */
    async wait(
        topic: string | ((t: string) => boolean),
        since: number,
        test: (v: any) => boolean,
        timeoutMs = 20000
    ): Promise<Seen & { value: any }> {
        const end = Date.now() + timeoutMs
        for (;;) {
            const m = this.parsed(topic, since).find(m => test(m.value))
            if (m) return m
            if (Date.now() > end)
                throw new Error(
                    `no message on ${topic} as expected within ${timeoutMs} ms; last: ` +
                        this.parsed(topic)
                            .slice(-3)
                            .map(m => m.text)
                            .join(" | ")
                )
            await sleep(20)
        }
    }

    publish(topic: string, payload: string | Buffer, retain = false) {
        return this.client.publishAsync(topic, payload, { qos: 1, retain })
    }

    stop() {
        this.client?.end(true)
    }
}

/** A policy message (by its content, whatever topic `policy push` used). */
export function isPolicyMessage(v: any): boolean {
    return (
        v &&
        v.v === POLICY_MESSAGE_VERSION &&
        typeof v.version === "number" &&
        typeof v.policy === "string" &&
        typeof v.sig === "string"
    )
}

// ------------------------------------------------------------- handsets

/**
 * Dialling on the simulated board of `session()` (read at each call: the
 * tests start it in beforeAll), with checks through sim/expect.
 */
export function handsets(session: () => SimSession) {
    const marks: Marks = { attempt: {}, call: 0 }
    return {
        async expectStep(exp: Expectation, timeoutMs = 10000) {
            const r = await check(session(), exp, marks, timeoutMs)
            expect(r.ok, r.message).toBe(true)
        },
        /** Lifts the handset, waits for the dial tone, dials. */
        async dial(ext: string, digits: string) {
            const s = session()
            marks.attempt[ext] = s.rec.now()
            await s.port(ext).hook(true)
            await sleep(300)
            for (const k of digits) {
                await s.port(ext).key(k)
                await sleep(150)
            }
        },
        async hangUp(ext: string) {
            await session().port(ext).hook(false)
            await sleep(200)
        },
    }
}

/**
 * A simulated board `board` of site `site`, syncing with the broker at
 * `url` with site key `key`, once it has taken on its ports.
 */
export async function startSyncedBoard(o: {
    board: string
    ports: string[]
    logFile: string
    site: string
    url: string
    key: string
    startTime?: number
    firmware?: string
}): Promise<SimSession> {
    const s = await SimSession.start({
        firmware: o.firmware,
        ports: o.ports,
        board: o.board,
        logFile: o.logFile,
        startTime: o.startTime,
        configExtra: { site: o.site, broker: { url: o.url }, siteKey: o.key },
    })
    expect(await s.waitPortsReady()).toStrictEqual([])
    return s
}

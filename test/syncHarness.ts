// Shared pieces of the end-to-end fleet tests and the fleet bench: a real
// mosquitto on free loopback ports, the real admin CLI (bin/dialguard.mjs)
// as a child process, and a watcher that records every message of a site
// with its arrival time. No vitest here: scripts/fleetBench.ts uses it too.

import { ChildProcess, spawn } from "node:child_process"
import { createHmac } from "node:crypto"
import { writeFileSync } from "node:fs"
import { createServer, Socket } from "node:net"
import { join } from "node:path"
import mqtt, { MqttClient } from "mqtt"
import { expect } from "vitest"
import { check, Marks } from "../sim/expect"
import type { Expectation } from "../sim/scenario"
import type { SimSession } from "../sim/session"

export const ROOT = join(import.meta.dirname, "..")
export const FIXTURES = join(ROOT, "test", "fixtures", "fleet")

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

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

/** A policy message as `policy push` builds it, from any text and key. */
export function envelope(
    site: string,
    text: string,
    version: number,
    keyHex: string,
    extra: Record<string, unknown> = {}
): string {
    const sig = createHmac("sha256", Buffer.from(keyHex, "hex"))
        .update(text, "utf8")
        .digest("hex")
    return JSON.stringify({
        v: 1,
        site,
        version,
        policy: text,
        sig,
        ...extra,
    })
}

/**
 * mosquitto (/usr/sbin/mosquitto) on fixed ports (plain and, with
 * `tlsPort`, TLS with the test certificates), persistent (the collector's
 * session and its queued records survive a restart), stopped and started
 * again at will. Its files live in `dir`.
 */
export class Broker {
    proc?: ChildProcess
    log = ""
    readonly conf: string
    constructor(
        readonly port: number,
        readonly dir: string,
        readonly tlsPort?: number
    ) {
        this.conf = join(dir, "mosquitto.conf")
        const tls = tlsPort
            ? [
                  `listener ${tlsPort} 127.0.0.1`,
                  `cafile ${join(FIXTURES, "ca.pem")}`,
                  `certfile ${join(FIXTURES, "server.pem")}`,
                  `keyfile ${join(FIXTURES, "server.key")}`,
              ]
            : []
        writeFileSync(
            this.conf,
            [
                "per_listener_settings false",
                // as root, mosquitto would switch to user mosquitto, who
                // cannot read the 0600 test key
                "user root",
                "allow_anonymous true",
                "persistence true",
                `persistence_location ${dir}/`,
                "log_dest stderr",
                "log_type error",
                `listener ${port} 127.0.0.1`,
                ...tls,
                "",
            ].join("\n")
        )
    }

    /** A broker on free ports. */
    static async onFreePorts(dir: string, tls = false): Promise<Broker> {
        const port = await freePort()
        return new Broker(port, dir, tls ? await freePort() : undefined)
    }

    get url() {
        return `mqtt://127.0.0.1:${this.port}`
    }

    async start() {
        this.proc = spawn("mosquitto", ["-c", this.conf], {
            stdio: ["ignore", "ignore", "pipe"],
        })
        this.proc.stderr!.on("data", d => (this.log += d))
        const ports = [this.port, ...(this.tlsPort ? [this.tlsPort] : [])]
        for (let i = 0; i < 200; i++) {
            let open = true
            for (const p of ports) open = open && (await portOpen(p))
            if (open) return
            await sleep(50)
        }
        throw new Error(`mosquitto did not start: ${this.log}`)
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
                    out.push({ ...m, value: JSON.parse(m.text) })
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
        v.v === 1 &&
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

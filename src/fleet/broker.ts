// The CLI's side of the MQTT connection: broker options (URL, TLS,
// credentials), connecting with one-line error messages, and reading the
// retained messages under a set of topic filters.
//
// The CLI speaks MQTT 3.1.1 like the boards, so any broker the boards can
// use works for the admin too.

import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { isIP } from "node:net"
import type { IClientOptions, MqttClient } from "mqtt"
import { CliError, Parsed, required, UsageError } from "../command"
import { withoutLogin } from "../secrets"
import { syncTopic } from "./topics"

export const BROKER_OPTIONS = {
    broker: { type: "string" },
    ca: { type: "string" },
    insecure: { type: "boolean" },
    username: { type: "string" },
    password: { type: "string" },
} as const

export const BROKER_HELP = `Broker options:
  --broker URL       mqtt://host[:port] (default port 1883) or
                     mqtts://host[:port] (TLS, default port 8883)
  --ca FILE          mqtts: trust the CA certificate(s) in this PEM file
  --insecure         mqtts: accept any certificate (self-signed test brokers)
  --username NAME    login (default: $DIALGUARD_MQTT_USERNAME)
  --password PASS    password (default: $DIALGUARD_MQTT_PASSWORD; prefer the
                     variable: a command line is visible to other users)`

export const ENV_USERNAME = "DIALGUARD_MQTT_USERNAME"
export const ENV_PASSWORD = "DIALGUARD_MQTT_PASSWORD"

export interface BrokerSettings {
    /** Normalised URL for messages, e.g. mqtt://127.0.0.1:1883 (no credentials). */
    url: string
    protocol: "mqtt" | "mqtts"
    host: string
    port: number
    ca?: Buffer
    insecure: boolean
    username?: string
    password?: string
}

/** Checks a broker URL; a UsageError says what is wrong. */
export function parseBrokerUrl(text: string): {
    protocol: "mqtt" | "mqtts"
    host: string
    port: number
    url: string
} {
    // (a login in the URL is refused, and never shown)
    const shownUrl = JSON.stringify(withoutLogin(text))
    let u: URL
    try {
        u = new URL(text)
    } catch {
        throw new UsageError(
            `bad broker URL ${shownUrl} (expected mqtt://host:port or mqtts://host:port)`
        )
    }
    const protocol = u.protocol.replace(/:$/, "")
    if (protocol !== "mqtt" && protocol !== "mqtts")
        throw new UsageError(
            `bad broker URL ${shownUrl}: ${u.protocol}// is not supported (use mqtt:// or mqtts://)`
        )
    if (u.username || u.password)
        throw new UsageError(
            `put the broker login in --username/--password or ${ENV_USERNAME}/${ENV_PASSWORD}, not in the URL`
        )
    if ((u.pathname && u.pathname !== "/") || u.search || u.hash)
        throw new UsageError(
            `bad broker URL ${shownUrl}: no path expected after host:port`
        )
    if (!u.hostname) throw new UsageError(`bad broker URL ${shownUrl}: no host`)
    const port = u.port ? Number(u.port) : protocol === "mqtts" ? 8883 : 1883
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1")
    const shown = isIP(host) === 6 ? `[${host}]` : host
    return { protocol, host, port, url: `${protocol}://${shown}:${port}` }
}

/** The broker settings from the command line and the environment. */
export function brokerSettings(p: Parsed): BrokerSettings {
    const url = required(p, "broker", "URL (e.g. mqtt://127.0.0.1:1883)")
    const b = parseBrokerUrl(url)
    const caFile = p.values["ca"] as string | undefined
    const insecure = p.values["insecure"] === true
    if (b.protocol !== "mqtts" && (caFile || insecure))
        throw new UsageError(
            `${caFile ? "--ca" : "--insecure"} needs an mqtts:// broker URL`
        )
    let ca: Buffer | undefined
    if (caFile) {
        try {
            ca = readFileSync(caFile)
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code
            const why =
                code === "ENOENT" ? "no such file" : (e as Error).message
            throw new CliError(`cannot read CA file ${caFile}: ${why}`)
        }
        if (!ca.toString("latin1").includes("-----BEGIN CERTIFICATE-----"))
            throw new CliError(
                `CA file ${caFile} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`
            )
    }
    const env = process.env
    const username =
        (p.values["username"] as string | undefined) ??
        (env[ENV_USERNAME] || undefined)
    const password =
        (p.values["password"] as string | undefined) ??
        (env[ENV_PASSWORD] || undefined)
    if (password !== undefined && username === undefined)
        throw new UsageError(
            `a password needs a username (--username or ${ENV_USERNAME})`
        )
    return { ...b, ca, insecure, username, password }
}

const NET_ERRORS: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset by the broker",
    ENOTFOUND: "unknown host",
    EAI_AGAIN: "host name lookup failed",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ETIMEDOUT: "connection timed out",
    EPIPE: "connection closed by the broker",
}

const TLS_ERRORS: Record<string, string> = {
    DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
    SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in the chain",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate not signed by a trusted CA",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "certificate not signed by a trusted CA",
    CERT_HAS_EXPIRED: "certificate has expired",
    CERT_NOT_YET_VALID: "certificate is not yet valid",
    ERR_TLS_CERT_ALTNAME_INVALID: "certificate is for another host name",
}

const CONNACK: Record<number, string> = {
    1: "it does not accept MQTT 3.1.1",
    2: "client id rejected",
    3: "server unavailable",
    4: "bad username or password",
    5: "not authorized",
}

/** One line for a failed connection attempt. */
export function describeConnectError(b: BrokerSettings, e: unknown): string {
    const err = e as NodeJS.ErrnoException & { code?: string | number }
    const code = err?.code
    if (typeof code === "number") {
        const why = CONNACK[code] ?? `CONNACK code ${code}`
        const hint =
            code === 4 || code === 5
                ? b.username
                    ? ` (login ${JSON.stringify(b.username)})`
                    : ` (no login given: --username/--password or ${ENV_USERNAME}/${ENV_PASSWORD})`
                : ""
        return `broker ${b.url} refused the connection: ${why}${hint}`
    }
    if (typeof code === "string" && TLS_ERRORS[code]) {
        const hint = b.ca
            ? ""
            : " (give the broker's CA with --ca FILE, or --insecure for a test broker)"
        return `cannot reach broker ${b.url}: TLS: ${TLS_ERRORS[code]}${hint}`
    }
    if (typeof code === "string" && NET_ERRORS[code]) {
        const what =
            code === "ENOTFOUND"
                ? `${NET_ERRORS[code]} ${b.host}`
                : NET_ERRORS[code]
        return `cannot reach broker ${b.url}: ${what}`
    }
    const msg = String(err?.message ?? e)
    if (/wrong version number|packet length too long|EPROTO/i.test(msg))
        return `cannot reach broker ${b.url}: TLS handshake failed (is it a TLS port? mqtts:// is TLS, mqtt:// is not)`
    if (/TLS/i.test(msg)) return `cannot reach broker ${b.url}: TLS: ${msg}`
    return `cannot reach broker ${b.url}: ${msg}`
}

export interface ConnectOptions {
    /** Default: dialguard-<random>. */
    clientId?: string
    /** Clean session (default true). */
    clean?: boolean
    /** Keep reconnecting after the first connection (default false). */
    reconnect?: boolean
    /** How long to wait for the broker's CONNACK (default 10 s). */
    timeoutMs?: number
    /**
     * mqtt.js handleMessage: called for each incoming message, the QoS 1
     * acknowledgement goes out when it calls back. Set before connecting, as
     * a persistent session's queued messages may come right with the CONNACK.
     */
    handleMessage?: MqttClient["handleMessage"]
}

export function randomClientId(what: string): string {
    return `dialguard-${what}-${randomBytes(4).toString("hex")}`
}

/** mqtt.js options for these settings. */
function clientOptions(b: BrokerSettings, o: ConnectOptions): IClientOptions {
    const opts: IClientOptions = {
        protocol: b.protocol,
        host: b.host,
        port: b.port,
        protocolVersion: 4,
        clientId: o.clientId ?? randomClientId("cli"),
        clean: o.clean ?? true,
        keepalive: 30,
        connectTimeout: o.timeoutMs ?? 10000,
        reconnectPeriod: o.reconnect ? 2000 : 0,
        resubscribe: true,
    }
    if (b.username !== undefined) opts.username = b.username
    if (b.password !== undefined) opts.password = b.password
    if (b.protocol === "mqtts") {
        if (b.ca) opts.ca = b.ca
        opts.rejectUnauthorized = !b.insecure
    }
    return opts
}

type Handler = (topic: string, payload: Buffer, retained: boolean) => void

/** An open connection to the broker, with one-line errors. */
export class FleetConnection {
    private handlers: Handler[] = []
    private lostError?: CliError
    private rejectLost: (e: CliError) => void = () => {}
    /** Rejects when the connection drops; handled here so it never goes unhandled. */
    private readonly lostPromise = new Promise<never>((_, reject) => {
        this.rejectLost = reject
    })
    closing = false

    private constructor(
        readonly client: MqttClient,
        readonly settings: BrokerSettings
    ) {
        client.on("message", (topic, payload, packet) => {
            for (const h of this.handlers.slice())
                h(topic, payload, packet.retain === true)
        })
        const lost = () => {
            if (
                this.closing ||
                this.lostError ||
                client.options.reconnectPeriod
            )
                return
            this.lostError = new CliError(
                `lost the connection to broker ${settings.url}`
            )
            this.rejectLost(this.lostError)
        }
        this.lostPromise.catch(() => {})
        client.on("close", lost)
    }

    /** Connects, or throws a CliError with one line saying why not. */
    static async connect(
        b: BrokerSettings,
        o: ConnectOptions = {}
    ): Promise<FleetConnection> {
        const timeoutMs = o.timeoutMs ?? 10000
        // mqtt takes ~0.1 s to load: only the commands that connect pay it
        const mqtt = await import("mqtt")
        return new Promise((resolve, reject) => {
            const client = mqtt.connect(clientOptions(b, o))
            if (o.handleMessage) client.handleMessage = o.handleMessage
            // errors are reported through finish() or the "close" handling;
            // an 'error' event without any listener would crash the process
            client.on("error", () => {})
            let done = false
            const finish = (e?: unknown) => {
                if (done) return
                done = true
                clearTimeout(timer)
                client.off("connect", onConnect)
                client.off("error", onError)
                client.off("close", onClose)
                if (e === undefined)
                    return resolve(new FleetConnection(client, b))
                client.end(true)
                reject(
                    new CliError(
                        typeof e === "string" ? e : describeConnectError(b, e)
                    )
                )
            }
            const onConnect = () => finish()
            // a refused CONNACK or a network error: no point waiting (even
            // with `reconnect`, which is for after the first connection)
            const onError = (e: unknown) => finish(e)
            const onClose = () =>
                finish(
                    `cannot reach broker ${b.url}: the connection closed before the broker answered (is it an MQTT port? mqtts:// is TLS, mqtt:// is not)`
                )
            const timer = setTimeout(
                () =>
                    finish(
                        `cannot reach broker ${b.url}: no MQTT answer within ${Math.round(timeoutMs / 1000)} s (for TLS use mqtts://)`
                    ),
                timeoutMs + 500
            )
            client.on("connect", onConnect)
            client.on("error", onError)
            client.on("close", onClose)
        })
    }

    get url(): string {
        return this.settings.url
    }

    /** Calls `h` for every message until the returned function is called. */
    onMessage(h: Handler): () => void {
        this.handlers.push(h)
        return () => {
            this.handlers = this.handlers.filter(x => x !== h)
        }
    }

    /** A promise that rejects when the connection drops (never resolves). */
    lost(): Promise<never> {
        return this.lostPromise
    }

    /** Resolves `p`, or rejects if the connection drops first. */
    guard<T>(p: Promise<T>): Promise<T> {
        return Promise.race([p, this.lost()])
    }

    /** Subscribes with QoS 1; a CliError if the broker refuses a filter. */
    async subscribe(filters: string[]): Promise<void> {
        const granted = await this.guard(
            this.client.subscribeAsync(filters, { qos: 1 })
        )
        const refused = granted.filter(g => g.qos === 128).map(g => g.topic)
        if (refused.length)
            throw new CliError(
                `broker ${this.url} refused the subscription to ${refused.join(", ")} (not allowed for this login?)`
            )
    }

    /** Publishes with QoS 1 and waits for the broker's acknowledgement. */
    async publish(
        topic: string,
        payload: string,
        retain: boolean
    ): Promise<void> {
        await this.guard(
            this.client.publishAsync(topic, payload, { qos: 1, retain })
        )
    }

    /**
     * Subscribes to `filters` and collects the retained messages the broker
     * sends for them: topic → payload (an empty payload removes a topic).
     * The end of the retained messages is marked by a message the client
     * sends itself to a private topic after the subscription (falls back to
     * a 2 s wait when the broker does not route it back, e.g. an ACL), then
     * a short quiet time. Messages keep arriving to `onMessage` handlers
     * afterwards as usual.
     */
    async readRetained(
        filters: string[],
        site: string | undefined,
        quietMs = 150
    ): Promise<Map<string, Buffer>> {
        const got = new Map<string, Buffer>()
        const sync = syncTopic(site, this.client.options.clientId ?? "admin")
        const nonce = randomBytes(8).toString("hex")
        let synced = false
        let lastAt = Date.now()
        const stop = this.onMessage((topic, payload) => {
            if (topic === sync) {
                if (payload.toString() === nonce) synced = true
                return
            }
            lastAt = Date.now()
            if (payload.length === 0) got.delete(topic)
            else got.set(topic, payload)
        })
        try {
            await this.subscribe(filters)
            await this.subscribe([sync])
            await this.publish(sync, nonce, false)
            const started = Date.now()
            await this.guard(
                new Promise<void>(resolve => {
                    const tick = () => {
                        const now = Date.now()
                        const markerSeen = synced || now - started > 2000
                        if (markerSeen && now - lastAt >= quietMs) resolve()
                        else setTimeout(tick, 25)
                    }
                    tick()
                })
            )
            this.client.unsubscribe(sync)
        } finally {
            stop()
        }
        return got
    }

    async close(): Promise<void> {
        this.closing = true
        await new Promise<void>(resolve =>
            this.client.end(false, {}, () => resolve())
        )
    }
}

/** Connects with the command line's broker options. */
export async function connectFromOptions(
    p: Parsed,
    o: ConnectOptions = {}
): Promise<FleetConnection> {
    return FleetConnection.connect(brokerSettings(p), o)
}

// Client of the firmware's DialguardAdmin service (services/dialguardadmin.md):
// chunked uploads of the policy and the board configuration, counters,
// policy version, last error, restart, and the `log` events (recorded).
// Used by the simulator and by `dialguard flash` (src/board/).

import { policyText } from "../../devs/policy/policyLines"
import { jd } from "./jd"
import type { JDBus, JDService, Packet } from "./jd"
import { Recorder } from "./record"
import { SimSpecs, ServiceSpec, packet } from "./specs"
import { SimError } from "./errors"

export type UploadKind = "policy" | "config"
const KIND: Record<UploadKind, number> = { policy: 1, config: 2 }

/** Bytes of upload data per packet (a Jacdac packet carries ≤ 236 bytes). */
export const CHUNK = 200
const REPLY_TIMEOUT_MS = 3000
/** upload_end compiles a policy in the VM. */
const APPLY_TIMEOUT_MS = 10000

export interface UploadResult {
    ok: boolean
    message: string
}

export interface AdminClientOptions {
    /** Talk to the admin service of this device only (default: the last one heard). */
    deviceId?: string
    /** More fields of each recorded log event (a site's board id). */
    logFields?: Record<string, unknown>
}

export class AdminClient {
    private spec: ServiceSpec
    private unsubscribe: () => void

    constructor(
        private bus: JDBus,
        specs: Pick<SimSpecs, "admin">,
        private rec: Recorder,
        private opts: AdminClientOptions = {}
    ) {
        this.spec = specs.admin
        const logCode = packet(this.spec, "event", "log").identifier
        const onEvent = (pkt: Packet) => {
            const srv = pkt.device?.service(pkt.serviceIndex)
            if (srv?.serviceClass !== this.spec.classIdentifier) return
            if (pkt.eventCode !== logCode) return
            const only = this.opts.deviceId
            if (only && pkt.deviceIdentifier !== only) return
            const [line] = pkt.jdunpack<[string]>("s")
            this.rec.add("log", { line, ...this.opts.logFields })
        }
        bus.on(jd.PACKET_EVENT, onEvent)
        this.unsubscribe = () => bus.off(jd.PACKET_EVENT, onEvent)
    }

    dispose() {
        this.unsubscribe()
    }

    /** The admin services of live devices (heard from since bus time `since`). */
    services(since = 0): JDService[] {
        const only = this.opts.deviceId
        return this.bus
            .services({ serviceClass: this.spec.classIdentifier })
            .filter(s => !s.device.lost && s.device.lastSeen > since)
            .filter(s => !only || s.device.deviceId === only)
    }

    /** The admin service of a live device (heard from since bus time `since`). */
    service(since = 0): JDService | undefined {
        return this.services(since).pop()
    }

    /** Waits until the firmware's DialguardAdmin server is on the bus. */
    async waitReady(timeoutMs: number, since = 0): Promise<JDService> {
        const s = await this.rec.until(
            () => this.service(since),
            timeoutMs,
            100
        )
        if (!s)
            throw new SimError(
                `the firmware serves no DialguardAdmin service after ${timeoutMs / 1000} s` +
                    " (is it the DialGuard firmware? did it crash? see the VM log)"
            )
        return s
    }

    private async need(): Promise<JDService> {
        return this.service() ?? (await this.waitReady(5000))
    }

    private cmd(name: string) {
        return packet(this.spec, "command", name)
    }

    /** Sends a command and waits for its report (same command code). */
    private async ask(
        name: string,
        values: unknown[] = [],
        timeoutMs = REPLY_TIMEOUT_MS
    ): Promise<Packet> {
        const p = this.cmd(name)
        const data = p.packFormat
            ? jd.jdpack(p.packFormat, values as any)
            : new Uint8Array(0)
        return this.request(p.identifier, data, `admin '${name}'`, timeoutMs)
    }

    /** Sends packet `code` and waits for the report with the same code. */
    private async request(
        code: number,
        data: Uint8Array,
        what: string,
        timeoutMs: number
    ): Promise<Packet> {
        const srv = await this.need()
        const { deviceId } = srv.device
        const index = srv.serviceIndex
        // Our own wait (jacdac-ts' sendCmdAwaitResponseAsync leaves its
        // timer running, which keeps the process alive after the end).
        return new Promise<Packet>((resolve, reject) => {
            const done = () => {
                clearTimeout(timer)
                this.bus.off(jd.PACKET_REPORT, onReport)
            }
            const onReport = (r: Packet) => {
                if (
                    r.deviceIdentifier !== deviceId ||
                    r.serviceIndex !== index ||
                    r.serviceCommand !== code
                )
                    return
                done()
                resolve(r)
            }
            const timer = setTimeout(() => {
                done()
                reject(
                    new SimError(
                        `the firmware did not answer ${what} within ${timeoutMs / 1000} s`
                    )
                )
            }, timeoutMs)
            this.bus.on(jd.PACKET_REPORT, onReport)
            srv.sendPacketAsync(jd.Packet.from(code, data)).catch(e => {
                done()
                reject(new SimError(`cannot send ${what}: ${e?.message ?? e}`))
            })
        })
    }

    private async send(name: string, values: unknown[] = []) {
        const p = this.cmd(name)
        const data = p.packFormat
            ? jd.jdpack(p.packFormat, values as any)
            : undefined
        const srv = await this.need()
        // No ACK: the VM's app servers (ds.startServer) never send one.
        await srv.sendCmdAsync(p.identifier, data, false)
    }

    /** Uploads `json` (an object or its text) in chunks; the firmware's verdict. */
    async upload(kind: UploadKind, json: unknown): Promise<UploadResult> {
        // (a policy in the short lines the board parses one at a time)
        const text =
            typeof json === "string"
                ? json
                : kind === "policy" &&
                    typeof json === "object" &&
                    json !== null &&
                    !Array.isArray(json)
                  ? policyText(json)
                  : JSON.stringify(json)
        const bytes = Buffer.from(text, "utf8")
        await this.send("upload_begin", [bytes.length, KIND[kind]])
        for (let off = 0; off < bytes.length; off += CHUNK)
            await this.send("upload_data", [
                off,
                bytes.subarray(off, off + CHUNK),
            ])
        const reply = await this.ask("upload_end", [], APPLY_TIMEOUT_MS)
        const fmt = packet(this.spec, "report", "upload_end").packFormat!
        const [ok, message] = reply.jdunpack<[number, string]>(fmt)
        const result = { ok: !!ok, message }
        this.rec.add("upload", { what: kind, bytes: bytes.length, ...result })
        return result
    }

    async counter(name: string): Promise<number> {
        const reply = await this.ask("counter", [name])
        return reply.jdunpack<[number]>("u32")[0]
    }

    private async readReg(name: string): Promise<unknown> {
        const p = packet(this.spec, "ro", name)
        const srv = await this.need()
        const reg = srv.register(p.identifier)
        await reg.refresh()
        return reg.unpackedValue?.[0]
    }

    /** Reads register `name` afresh (a get and its report; no cached value). */
    async readFresh(name: string, timeoutMs = REPLY_TIMEOUT_MS) {
        const p = packet(this.spec, "ro", name)
        const what = `register '${name}'`
        const code = jd.CMD_GET_REG | p.identifier
        const reply = await this.request(
            code,
            new Uint8Array(0),
            what,
            timeoutMs
        )
        return reply.jdunpack(p.packFormat!)[0]
    }

    /** sha256 hex of the configuration the board runs with ("" while starting). */
    async configHash(timeoutMs?: number): Promise<string> {
        return (await this.readFresh("config_hash", timeoutMs)) as string
    }

    async policyVersion(): Promise<number> {
        return (await this.readReg("policy_version")) as number
    }

    async lastError(): Promise<string> {
        return (await this.readReg("last_error")) as string
    }

    async restart() {
        await this.send("restart")
    }
}

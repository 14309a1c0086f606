// The DialGuard Admin service (services/dialguardadmin.md), served by the
// firmware: chunked uploads of policy and configuration, counter reads,
// restart, and the activity log as events.
import * as ds from "@devicescript/core"
import { Server } from "@devicescript/server"

/** Largest upload accepted (a board policy; the VM's heap is small). */
export const MAX_UPLOAD = 16384

export interface AdminBackend {
    version: number
    error: string
    /** sha256 hex of the configuration the board started with; "" while starting. */
    cfgHash: string
    /** Validates and applies; returns "" or why it was refused. */
    apply(kind: number, text: string): Promise<string>
    counter(name: string): number
}

export class AdminServer extends Server implements ds.DialguardAdminServerSpec {
    private upload: Buffer = undefined
    private uploadKind = 0
    private received = 0

    constructor(private backend: AdminBackend) {
        super(ds.DialguardAdmin.spec)
    }

    policyVersion() {
        return this.backend.version
    }

    lastError() {
        return this.backend.error
    }

    configHash() {
        return this.backend.cfgHash
    }

    // ds.startServer passes a command's fields as ONE argument: an array
    // when the command has several fields, whatever the spec's signature says.
    uploadBegin(fields: any) {
        const size: number = fields[0]
        const kind: ds.DialguardAdminUploadKind = fields[1]
        this.upload =
            size > 0 && size <= MAX_UPLOAD ? Buffer.alloc(size) : undefined
        this.uploadKind = kind
        this.received = 0
        if (!this.upload)
            console.log("admin: refused upload of " + size + " bytes")
    }

    uploadData(fields: any) {
        const offset: number = fields[0]
        const data: Buffer = fields[1]
        const up = this.upload
        if (
            !up ||
            offset !== this.received ||
            offset + data.length > up.length
        ) {
            this.upload = undefined // out of order or too long: the upload is void
            return
        }
        up.blitAt(offset, data, 0, data.length)
        this.received += data.length
    }

    async uploadEnd(): Promise<[boolean, string]> {
        const up = this.upload
        this.upload = undefined
        if (!up)
            return [
                false,
                "upload incomplete or too large (max " + MAX_UPLOAD + " bytes)",
            ]
        if (this.received !== up.length)
            return [
                false,
                "upload incomplete: " +
                    this.received +
                    " of " +
                    up.length +
                    " bytes",
            ]
        const why = await this.backend.apply(
            this.uploadKind,
            up.toString("utf-8")
        )
        return [why === "", why === "" ? "applied" : why]
    }

    counter(name: string) {
        return this.backend.counter(name)
    }

    restart() {
        ds.restart()
    }

    /** Sends a log event without making the caller wait (events are queued anyway). */
    log(line: string) {
        sendLog.start(this, line)
    }
}

async function sendLog(admin: AdminServer, line: string) {
    await admin.sendEvent(ds.DialguardAdmin.spec.lookup("log").encode(line))
}

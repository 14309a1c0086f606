// A tiny stand-in firmware for the simulator harness (NOT DialGuard): it
// proves the bus plumbing both ways without the real firmware.
//
// - binds two Handset and two SipLine roles, pairs them by their `port`;
// - off hook: dial tone; keys are collected, `#` dials them (no policy);
//   a number starting 168 is "refused": Unobtainable tone + log line;
// - incoming_call: rings the handset until it is lifted (then answers);
// - hook down: hang_up;
// - serves a minimal DialguardAdmin: chunked upload, counters
//   (`<ext>.calls.dialled`, kept in flash), log events, restart.
//
// Build: npx devs build sim/testfw/echo.ts (the harness does it for you).
import * as ds from "@devicescript/core"
import { Server, startServer } from "@devicescript/server"
import { readSetting, writeSetting } from "@devicescript/settings"

let adminServer: EchoAdmin

function log(line: string) {
    console.log("echo: " + line)
    if (adminServer) adminServer.logLine(line)
}

class EchoAdmin extends Server implements ds.DialguardAdminServerSpec {
    private buf: Buffer
    private size = 0
    private kind = 0
    private version = 0
    private error = ""
    ports: string[] = ["8001", "8101"]

    constructor() {
        super(ds.DialguardAdmin.spec)
    }
    policyVersion() {
        return this.version
    }
    lastError() {
        return this.error
    }
    // (its configuration lives in memory only: no hash to report)
    configHash() {
        return ""
    }
    // ds.startServer passes a command's decoded fields as ONE argument: an
    // array when the command has several fields (despite the ServerSpec
    // signature), hence the unpacking.
    uploadBegin(size: any, kind?: ds.DialguardAdminUploadKind) {
        const a: any[] = Array.isArray(size) ? size : [size, kind]
        this.size = a[0]
        this.kind = a[1]
        this.buf = Buffer.alloc(this.size)
    }
    uploadData(offset: any, data?: Buffer) {
        const a: any[] = Array.isArray(offset) ? offset : [offset, data]
        const chunk: Buffer = a[1]
        if (!this.buf) return
        this.buf.blitAt(a[0], chunk, 0, chunk.length)
    }
    async uploadEnd(): Promise<[boolean, string]> {
        if (!this.buf) return [false, "no upload"]
        const text = this.buf.toString()
        this.buf = null
        let obj: any
        try {
            obj = JSON.parse(text)
        } catch (e) {
            this.error = "bad JSON"
            return [false, this.error]
        }
        if (this.kind === ds.DialguardAdminUploadKind.Policy) {
            this.version = obj.version || 1
            log("policy " + this.version + " applied")
        } else {
            if (obj.ports) this.ports = obj.ports
            log("config applied: ports " + this.ports.join(","))
        }
        this.error = ""
        return [true, "applied " + this.size + " bytes"]
    }
    async counter(name: string) {
        const v = await readSetting<number>(counterKey(name), 0)
        return v
    }
    restart() {
        ds.restart()
    }
    logLine(line: string) {
        const pkt = ds.DialguardAdmin.spec.lookup("log").encode(line)
        const self = this
        setTimeout(async () => {
            await self.sendEvent(pkt)
        }, 0)
    }
}

/** Settings keys are at most 13 characters: "c" + a short hash of the name. */
function counterKey(name: string) {
    let h = 5381
    for (let i = 0; i < name.length; i++)
        h = ((h * 33) ^ name.charCodeAt(i)) & 0xffffff
    return "c" + h
}

async function bump(name: string) {
    const k = counterKey(name)
    const v = (await readSetting<number>(k, 0)) + 1
    await writeSetting(k, v)
}

class Port {
    handset: ds.Handset
    line: ds.SipLine
    digits = ""
    ringing = false
    constructor(
        public index: number,
        public handset0: ds.Handset
    ) {}
}

adminServer = new EchoAdmin()
const admin = new ds.DialguardAdmin(startServer(adminServer))

const ports: Port[] = []
const handsets = [new ds.Handset(), new ds.Handset()]
const lines = [new ds.SipLine(), new ds.SipLine()]

function portOf(i: number) {
    let p = ports[i]
    if (!p) {
        p = new Port(i, null)
        ports[i] = p
    }
    return p
}

function ext(p: Port) {
    return adminServer.ports[p.index] || "?"
}

async function ringLoop(p: Port) {
    while (p.ringing) {
        await p.handset.ring(true)
        log("ring " + ext(p))
        await ds.sleep(1000)
        await p.handset.ring(false)
        await ds.sleep(4000)
    }
}

handsets.forEach(h => {
    h.binding().subscribe(async bound => {
        if (!bound) return
        const i = await h.port.read()
        const p = portOf(i)
        p.handset = h
        log("handset bound to port " + i)
    })
    h.hook.subscribe(async off => {
        const i = await h.port.read()
        const p = portOf(i)
        if (off) {
            p.digits = ""
            if (p.ringing) {
                p.ringing = false
                await p.handset.ring(false)
                if (p.line) await p.line.answer()
                log("answered on " + ext(p))
            } else await h.tone(ds.HandsetTone.Dial)
        } else {
            await h.tone(ds.HandsetTone.Off)
            if (p.line) await p.line.hangUp()
        }
    })
    h.key.subscribe(async k => {
        const i = await h.port.read()
        const p = portOf(i)
        if (k !== "#") {
            p.digits += k
            return
        }
        const number = p.digits
        p.digits = ""
        if (number.startsWith("168")) {
            await h.tone(ds.HandsetTone.Unobtainable)
            await bump(ext(p) + ".blocked.premium")
            log("refused " + ext(p) + " " + number + " premium")
            return
        }
        await bump(ext(p) + ".calls.dialled")
        log("dial " + ext(p) + " " + number)
        if (p.line) await p.line.dial(number)
        await h.tone(ds.HandsetTone.Ringback)
    })
})

lines.forEach(l => {
    l.binding().subscribe(async bound => {
        if (!bound) return
        const i = await l.port.read()
        portOf(i).line = l
    })
    l.incomingCall.subscribe(async v => {
        const i = await l.port.read()
        const p = portOf(i)
        log("incoming " + ext(p) + " from " + v[0] + " diverted " + v[1])
        p.ringing = true
        setTimeout(async () => {
            await ringLoop(p)
        }, 0)
    })
    l.remoteAnswered.subscribe(async () => {
        const p = portOf(await l.port.read())
        log("connected " + ext(p))
        if (p.handset) await p.handset.tone(ds.HandsetTone.Off)
    })
    l.remoteHungUp.subscribe(async () => {
        const p = portOf(await l.port.read())
        p.ringing = false
        log("remote hung up " + ext(p))
        if (p.handset) await p.handset.tone(ds.HandsetTone.Busy)
    })
})

log("echo firmware up " + (admin ? "admin" : ""))

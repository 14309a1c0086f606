// PortLink (devs/app/portLink.ts) between a HandsetPort and a real SIP Line
// service in the VM: the incoming_call fields (caller, diverted_from,
// diversions) reach the port, and its redirect reaches the line as the
// hops in order, the caller left out.
import * as ds from "@devicescript/core"
import { Server, startServer } from "@devicescript/server"
import { describe, expect, test } from "@devicescript/test"
import { PortLink } from "../../devs/app/portLink"
import { HandsetHardware } from "../../devs/hw/handsetHardware"
import { HandsetPort, PortPolicy } from "../../devs/phone/handsetPort"

/** The line's side: what the firmware ordered. */
class LineServer extends Server implements ds.SipLineServerSpec {
    redirects: string[] = []
    answers = 0
    constructor() {
        super(ds.SipLine.spec)
    }
    port() {
        return 0
    }
    registrationState() {
        return ds.SipLineRegistrationState.Registered
    }
    wallClock() {
        return 0
    }
    dial(n: string) {}
    answer() {
        this.answers++
    }
    hangUp() {}
    redirect(targets: string) {
        this.redirects.push(targets)
    }
    async call(caller: string, divertedFrom: string, diversions: number) {
        await this.sendEvent(
            ds.SipLine.spec
                .lookup("incomingCall")
                .encode([caller, divertedFrom, diversions])
        )
    }
}

class SilentHandset implements HandsetHardware {
    onKey() {}
    onHook() {}
    async ring(on: boolean) {}
    async tone(t: number) {}
}

/** Ticks the port until `done()` or about 3 s. */
async function until(port: HandsetPort, done: () => boolean) {
    for (let i = 0; i < 300 && !done(); ++i) {
        port.tick(ds.millis())
        await ds.sleep(10)
    }
}

describe("port link", () => {
    test("incoming_call and redirect carry diversions and the hops", async () => {
        const server = new LineServer()
        const line = new ds.SipLine(startServer(server))
        for (let i = 0; i < 100 && !line.isBound; ++i) await ds.sleep(20)
        expect(line.isBound).toBe(true)
        const link = new PortLink(new SilentHandset(), line, l => {})
        const ended: string[] = []
        const port = new HandsetPort(
            "8101",
            link,
            {
                outgoing: () => {},
                blocked: () => {},
                incoming: () => {},
                callEnded: (ext, outcome) => {
                    ended.push(outcome)
                },
            },
            { onMs: 20, cycleMs: 50 }
        )
        link.attach(port)
        const policy: PortPolicy = {
            plan: undefined,
            handset: undefined,
            ringsBeforeForward: 3,
            forwardChain: (ext: string) =>
                ext === "8001" ? ["8101", "8000", "8201"] : [],
        }
        port.setPolicy(policy)

        // forwarded once from 8001 by 8000 (the desk): it is left out
        await server.call("8000", "8001", 1)
        await until(port, () => server.redirects.length > 0)
        expect(server.redirects.join("|")).toBe("8201")

        // forwarded twice (6 rings heard): answered at once, late for the caller
        await server.call("02584001234", "8001", 2)
        await until(port, () => port.state === "ringing")
        port.offHook(ds.millis())
        await until(port, () => server.answers > 0)
        expect(server.answers).toBe(1)
        expect(ended.join(",")).toBe("late")
    })
})

// Connects a HandsetPort to its hardware and its SIP line: events in, orders
// out. Orders go through a SequentialWorker so they reach the services in
// the order the port gave them, without the port waiting on the bus.
import * as ds from "@devicescript/core"
import { SequentialWorker } from "@devicescript/runtime"
import { HandsetPort, PortOutputs } from "../phone/handsetPort"
import { HandsetHardware } from "../hw/handsetHardware"

export class PortLink implements PortOutputs {
    port: HandsetPort
    private orders = new SequentialWorker()

    constructor(
        private hw: HandsetHardware,
        private line: ds.SipLine,
        private logLine: (line: string) => void
    ) {}

    /** Subscribes the port to its hardware and line events. */
    attach(port: HandsetPort) {
        this.port = port
        this.hw.onKey(async k => port.key(k, ds.millis()))
        this.hw.onHook(async off => {
            if (off) port.offHook(ds.millis())
            else port.onHook(ds.millis())
        })
        // caller, diverted_from, diversions
        this.line.incomingCall.subscribe(async v =>
            port.incomingCall(v[0], v[1], v[2], ds.millis())
        )
        this.line.remoteAnswered.subscribe(async () =>
            port.remoteAnswered(ds.millis())
        )
        this.line.remoteHungUp.subscribe(async () =>
            port.remoteHungUp(ds.millis())
        )
        this.line.callFailed.subscribe(async reason =>
            port.callFailed(ds.millis(), reason as number)
        )
    }

    /**
     * Queues order `what` (0 tone, 1 ring, 2 dial, 3 answer, 4 hang up,
     * 5 redirect) with its argument. One closure for all: each function
     * costs the image bytecode, which the VM limits to 64 KB.
     */
    private order(what: number, arg: any) {
        const self = this
        this.orders.queue(async () => {
            const hw = self.hw
            const line = self.line
            try {
                if (what === 0) await hw.tone(arg)
                else if (what === 1) await hw.ring(arg)
                else if (what === 2) await line.dial(arg)
                else if (what === 3) await line.answer()
                else if (what === 4) await line.hangUp()
                else await line.redirect(arg)
            } catch (e) {
                console.log("order failed: " + (e as Error).message)
            }
        })
    }

    tone(tone: number) {
        this.order(0, tone)
    }
    ring(on: boolean) {
        this.order(1, on)
    }
    dial(number: string) {
        this.order(2, number)
    }
    answer() {
        this.order(3, 0)
    }
    hangUp() {
        this.order(4, 0)
    }
    redirect(hops: string) {
        this.order(5, hops)
    }
    log(line: string) {
        this.logLine(line)
    }
}

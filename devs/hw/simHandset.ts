// A handset port hosted by the simulator on the Jacdac bus (services/handset.md).
import * as ds from "@devicescript/core"
import { HandsetHardware, HookHandler, KeyHandler } from "./handsetHardware"

export class SimHandset implements HandsetHardware {
    constructor(private role: ds.Handset) {}

    onKey(h: KeyHandler) {
        this.role.key.subscribe(async k => {
            await h(k)
        })
    }

    onHook(h: HookHandler) {
        this.role.hook.subscribe(async off => {
            await h(off)
        })
    }

    async ring(on: boolean) {
        await this.role.ring(on)
    }

    async tone(tone: number) {
        await this.role.tone(tone)
    }
}

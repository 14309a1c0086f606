// The reference board's handset port: keypad matrix scanned over GPIO,
// hook switch (button: pressed = handset on the cradle), ringer relay and a
// buzzer playing the tones' cadences. Pins come from boards/dialguard_esp32.
import * as ds from "@devicescript/core"
import { GpioKeypad } from "../keypad/gpioKeypad"
import { cadenceOf } from "../phone/tones"
import { HandsetHardware, HookHandler, KeyHandler } from "./handsetHardware"

export class BoardHandset implements HandsetHardware {
    private keypad: GpioKeypad
    private currentTone = 0
    private toneGen = 0

    constructor(
        rows: ds.OutputPin[],
        cols: ds.InputPin[],
        private hook: ds.Button,
        private ringer: ds.Relay,
        private earpiece: ds.Buzzer
    ) {
        this.keypad = new GpioKeypad(rows, cols)
    }

    onKey(h: KeyHandler) {
        this.keypad.onKey(h)
    }

    onHook(h: HookHandler) {
        // Lifting the handset releases the cradle switch.
        this.hook.up.subscribe(async () => {
            await h(true)
        })
        this.hook.down.subscribe(async () => {
            await h(false)
        })
    }

    async ring(on: boolean) {
        await this.ringer.enabled.write(on)
    }

    async tone(tone: number) {
        this.currentTone = tone
        this.toneGen++
        if (cadenceOf(tone)) playCadence.start(this, this.toneGen)
    }

    /** Internal: is the tone started as `gen` still the one to play? */
    _playing(gen: number): boolean {
        return gen === this.toneGen
    }

    _tone(): number {
        return this.currentTone
    }

    _earpiece(): ds.Buzzer {
        return this.earpiece
    }
}

/** Plays a tone's on/off pattern until another tone replaces it. */
async function playCadence(hs: BoardHandset, gen: number) {
    const c = cadenceOf(hs._tone())
    const period = Math.round(1000000 / c.hz)
    let i = 0
    while (hs._playing(gen)) {
        const ms = c.pattern[i % c.pattern.length]
        if (i % 2 === 0) await hs._earpiece().playTone(period, 0.5, ms)
        await ds.sleep(ms)
        i++
    }
}

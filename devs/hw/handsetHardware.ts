// The hardware of one handset port as the firmware sees it. Two
// implementations: the board's GPIO keypad, hook switch, ringer relay and
// tone buzzer (boardHandset.ts), and the simulator's Handset Jacdac service
// (simHandset.ts). Nothing above this layer knows which one it talks to.

export type KeyHandler = (key: string) => Promise<void>
export type HookHandler = (offHook: boolean) => Promise<void>

export interface HandsetHardware {
    onKey(h: KeyHandler): void
    onHook(h: HookHandler): void
    ring(on: boolean): Promise<void>
    tone(tone: number): Promise<void>
}

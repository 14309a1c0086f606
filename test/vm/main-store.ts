// The flash store tests, in a VM of their own (see main.ts).
import "./store.test"

// One `html` tagged template for every component: htm bound to Preact's h (no JSX, no build).
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);

import { h } from 'preact';
import htm from 'htm';

/** Tagged templates for preact: no build step. */
export const html = htm.bind(h);

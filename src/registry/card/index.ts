/** Model cards: a registered version's documentation in Markdown and self-contained HTML. */
export { renderCardHtml } from './html.js';
export { renderCardMarkdown } from './markdown.js';
export { INTENDED_USE_NOT_STATED } from './summary.js';
export type { CardTensor, ModelCardData } from './types.js';

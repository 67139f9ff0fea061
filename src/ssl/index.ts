// gdt's self-supervised objectives: the GDT loss over the nine hypotheses and its building blocks.
export * from './features.js';
export * from './collective.js';
export * from './hypotheses.js';
export * from './nce.js';
export * from './gdt-loss.js';
export * from './views.js';
export * from './stica/index.js';

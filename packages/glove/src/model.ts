// @libvq/glove/model: builds the bag-of-words ONNX graph the glove-100 model is made of, for a caller's own word table.
export { bagOfWordsGraph } from './model/bow-graph.js';

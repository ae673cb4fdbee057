/**
 * The contract between training (which produces models) and the edge worker (which serves them):
 * sizes, model ids, ONNX file names and tensor names. Both sides import this module and nothing else
 * from each other.
 */

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE; // 784, row-major, values in [0, 1]
export const NUM_CLASSES = 10;
/** Width of the autoencoder's code. */
export const LATENT_DIM = 16;
/** Width of the GAN generators' noise input; noise is standard normal. */
export const NOISE_DIM = 32;

/** Models shipped to the edge. Tensor shapes use -1 for the dynamic batch dimension. */
export const MODEL_IDS = ['decoder', 'encoder', 'generator', 'cgan-generator', 'classifier', 'evaluator', 'recognizer'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export interface TensorSpec {
  name: string;
  shape: number[]; // -1 = dynamic batch
}

export interface ModelSpec {
  id: ModelId;
  file: string;
  role: string;
  /** bundled into the edge worker (the others ship in models/ for tools and tests) */
  edge: boolean;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** Tensor names as they appear in the ONNX graphs. */
export const TENSOR = {
  image: 'image', // [N, 784] float32 in [0, 1]
  latent: 'latent', // [N, LATENT_DIM] float32
  noise: 'noise', // [N, NOISE_DIM] float32, standard normal
  digit: 'digit_onehot', // [N, NUM_CLASSES] float32 one-hot of the requested digit
  probabilities: 'probabilities', // [N, NUM_CLASSES] float32 softmax (evaluator, classifier, recognizer)
} as const;

/** File of the float16-weight variant of a model (weights stored as float16, cast back to float32 in the graph). */
export function float16File(file: string): string {
  return file.replace(/\.onnx$/, '.f16.onnx');
}

export const MODEL_SPECS: Record<ModelId, ModelSpec> = {
  decoder: {
    id: 'decoder',
    edge: true,
    file: 'decoder.onnx',
    role: 'autoencoder decoder: latent code -> image',
    inputs: [{ name: TENSOR.latent, shape: [-1, LATENT_DIM] }],
    outputs: [{ name: TENSOR.image, shape: [-1, IMAGE_PIXELS] }],
  },
  encoder: {
    id: 'encoder',
    edge: true,
    file: 'encoder.onnx',
    role: 'autoencoder encoder: image -> latent code',
    inputs: [{ name: TENSOR.image, shape: [-1, IMAGE_PIXELS] }],
    outputs: [{ name: TENSOR.latent, shape: [-1, LATENT_DIM] }],
  },
  generator: {
    id: 'generator',
    edge: true,
    file: 'generator.onnx',
    role: 'latent GAN generator: noise -> latent code',
    inputs: [{ name: TENSOR.noise, shape: [-1, NOISE_DIM] }],
    outputs: [{ name: TENSOR.latent, shape: [-1, LATENT_DIM] }],
  },
  'cgan-generator': {
    id: 'cgan-generator',
    edge: true,
    file: 'cgan-generator.onnx',
    role: 'conditional latent GAN generator: noise, one-hot digit -> latent code',
    inputs: [
      { name: TENSOR.noise, shape: [-1, NOISE_DIM] },
      { name: TENSOR.digit, shape: [-1, NUM_CLASSES] },
    ],
    outputs: [{ name: TENSOR.latent, shape: [-1, LATENT_DIM] }],
  },
  classifier: {
    id: 'classifier',
    edge: true,
    file: 'classifier.onnx',
    role: "the study's 50-label semi-supervised digit classifier: latent code -> class probabilities",
    inputs: [{ name: TENSOR.latent, shape: [-1, LATENT_DIM] }],
    outputs: [{ name: TENSOR.probabilities, shape: [-1, NUM_CLASSES] }],
  },
  evaluator: {
    id: 'evaluator',
    edge: false,
    file: 'evaluator.onnx',
    role: 'MNIST classifier used only to score generated images: image -> class probabilities',
    inputs: [{ name: TENSOR.image, shape: [-1, IMAGE_PIXELS] }],
    outputs: [{ name: TENSOR.probabilities, shape: [-1, NUM_CLASSES] }],
  },
  recognizer: {
    id: 'recognizer',
    edge: true,
    file: 'recognizer.onnx',
    role: "pixel classifier for people's digits, trained on all MNIST labels and training-font glyphs with augmentation: image -> class probabilities",
    inputs: [{ name: TENSOR.image, shape: [-1, IMAGE_PIXELS] }],
    outputs: [{ name: TENSOR.probabilities, shape: [-1, NUM_CLASSES] }],
  },
};

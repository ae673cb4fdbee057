/**
 * Decoded ONNX models as plain, non-optional shapes for test assertions (onnx-proto's generated types mark
 * every field optional). Decodes with onnx-proto directly, not through the exporter.
 */
import onnxProto from 'onnx-proto';

export interface AttributeView {
  name: string;
  type: number;
  i: number | { toString(): string };
  f: number;
  ints: (number | { toString(): string })[];
}
export interface NodeView {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeView[];
}
export interface TensorView {
  name: string;
  dataType: number;
  dims: (number | { toString(): string })[];
  rawData: Uint8Array;
  int64Data: (number | { toString(): string })[];
}
export interface ValueInfoView {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: { dimParam?: string; dimValue?: number | { toString(): string } }[] } } };
}
export interface ModelView {
  irVersion: number | { toString(): string };
  opsetImport: { domain: string; version: number | { toString(): string } }[];
  producerName: string;
  producerVersion: string;
  docString: string;
  metadataProps: { key: string; value: string }[];
  graph: { name: string; node: NodeView[]; initializer: TensorView[]; input: ValueInfoView[]; output: ValueInfoView[] };
}

export function decodeView(bytes: Uint8Array): ModelView {
  return onnxProto.onnx.ModelProto.decode(bytes) as unknown as ModelView;
}

// Descriptors for the two google.rpc error details Switchboard sends
// (google/rpc/error_details.proto). gen/ts does not include the googleapis
// rpc protos, so the client declares the subset it reads here, by hand.
// Fields left out are kept as unknown fields when a detail is decoded.
// If gen/ts ever ships google/rpc/error_details_pb.ts, use that instead.

import { create, createFileRegistry, type Message } from "@bufbuild/protobuf";
import { messageDesc, type GenMessage } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

const optional = Label.OPTIONAL;
const repeated = Label.REPEATED;

const errorDetailsFile = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "google/rpc/error_details.proto",
    package: "google.rpc",
    syntax: "proto3",
    messageType: [
      {
        name: "ErrorInfo",
        field: [
          { name: "reason", number: 1, label: optional, type: Type.STRING, jsonName: "reason" },
          { name: "domain", number: 2, label: optional, type: Type.STRING, jsonName: "domain" },
          {
            name: "metadata",
            number: 3,
            label: repeated,
            type: Type.MESSAGE,
            typeName: ".google.rpc.ErrorInfo.MetadataEntry",
            jsonName: "metadata",
          },
        ],
        nestedType: [
          {
            name: "MetadataEntry",
            field: [
              { name: "key", number: 1, label: optional, type: Type.STRING, jsonName: "key" },
              { name: "value", number: 2, label: optional, type: Type.STRING, jsonName: "value" },
            ],
            options: { mapEntry: true },
          },
        ],
      },
      {
        name: "BadRequest",
        field: [
          {
            name: "field_violations",
            number: 1,
            label: repeated,
            type: Type.MESSAGE,
            typeName: ".google.rpc.BadRequest.FieldViolation",
            jsonName: "fieldViolations",
          },
        ],
        nestedType: [
          {
            name: "FieldViolation",
            field: [
              { name: "field", number: 1, label: optional, type: Type.STRING, jsonName: "field" },
              { name: "description", number: 2, label: optional, type: Type.STRING, jsonName: "description" },
              { name: "reason", number: 3, label: optional, type: Type.STRING, jsonName: "reason" },
            ],
          },
        ],
      },
    ],
  }),
  () => undefined,
).getFile("google/rpc/error_details.proto");

if (!errorDetailsFile) {
  throw new Error("google/rpc/error_details.proto did not register");
}

/** google.rpc.ErrorInfo: the stable reason of an error (see switchboard.errors.v1.Reason). */
export type ErrorInfo = Message<"google.rpc.ErrorInfo"> & {
  /** The reason, e.g. "INVALID_CREDENTIALS" (a switchboard.errors.v1.Reason name without "REASON_"). */
  reason: string;
  /** "switchboard" for errors Switchboard raises. */
  domain: string;
  /** Additional structured details. */
  metadata: { [key: string]: string };
};

/** Describes google.rpc.ErrorInfo. */
export const ErrorInfoSchema: GenMessage<ErrorInfo> = messageDesc(errorDetailsFile, 0);

/** google.rpc.BadRequest: the fields of a request that failed validation. */
export type BadRequest = Message<"google.rpc.BadRequest"> & {
  /** One entry per invalid field. */
  fieldViolations: BadRequest_FieldViolation[];
};

/** Describes google.rpc.BadRequest. */
export const BadRequestSchema: GenMessage<BadRequest> = messageDesc(errorDetailsFile, 1);

/** google.rpc.BadRequest.FieldViolation: one invalid field. */
export type BadRequest_FieldViolation = Message<"google.rpc.BadRequest.FieldViolation"> & {
  /** A path to the field, e.g. "username" or "bridge.port". */
  field: string;
  /** What is wrong with the field, in words a user can act on. */
  description: string;
  /** A stable reason for the violation, when set. */
  reason: string;
};

/** Describes google.rpc.BadRequest.FieldViolation. */
export const BadRequest_FieldViolationSchema: GenMessage<BadRequest_FieldViolation> = messageDesc(
  errorDetailsFile,
  1,
  0,
);

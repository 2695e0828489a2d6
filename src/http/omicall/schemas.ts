import { type TProperties, Type } from 'typebox';

// Request schemas. Bodies refuse fields the document does not name (docs/decisions.md: unknown body fields are
// refused), so `tenant_id`, `role_id` and the like can never be mass-assigned; query strings stay lenient.

/** An object schema that refuses unknown fields. */
const Strict = <T extends TProperties>(props: T) => Type.Object(props, { additionalProperties: false });

export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 50, default: 50 }),
});

export const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 50, default: 50 }),
  keyword: Type.Optional(Type.String({ maxLength: 200 })),
});

const StringList = Type.Array(Type.String({ maxLength: 254 }), { maxItems: 500 });
export const Sort = Strict({
  field: Type.String({ maxLength: 50 }),
  isAsc: Type.Optional(Type.Boolean()),
});

export const SearchV3Body = Strict({
  filter: Type.Optional(
    Strict({
      emails: Type.Optional(StringList),
      phones: Type.Optional(StringList),
      extensions: Type.Optional(StringList),
    }),
  ),
  sort: Type.Optional(Sort),
});

export const SearchV2Body = Strict({
  emails: Type.Optional(StringList),
  phones: Type.Optional(StringList),
  extensions: Type.Optional(StringList),
  sort: Type.Optional(Sort),
});

const Str = (max = 254) => Type.Optional(Type.String({ maxLength: max }));

export const InviteBody = Strict({
  owner_email: Str(),
  role_name: Str(100),
  password: Str(128),
  identify_info: Str(),
  full_name: Str(200),
  uuid: Str(100),
  call_timeout: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Integer({ minimum: 0 })])),
  target_forward: Type.Optional(Strict({ target_value: Str(100), target_type: Str(50) })),
  group_name: Str(200),
});

export const InviteV2Body = Strict({
  owner_email: Str(),
  password: Str(128),
  identify_info: Str(),
  full_name: Str(200),
  service_package_id: Str(64),
  role_name: Str(100),
});

export const DeleteQuery = Type.Object({ identify_info: Type.String({ minLength: 1, maxLength: 254 }) });

export const RoleUpdateBody = Strict({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  role_id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const PackageUpdateBody = Strict({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  service_package_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
});

export const GetByEmailBody = Strict({ email: Type.String({ minLength: 1, maxLength: 254 }) });

export const TransferBody = Strict({
  sourceEmail: Type.String({ minLength: 1, maxLength: 254 }),
  targetEmail: Type.String({ minLength: 1, maxLength: 254 }),
  targetInfo: Type.Optional(Strict({ fullName: Str(200), phoneNumber: Str(30) })),
  callbackResultConfig: Type.Optional(
    Strict({
      url: Type.String({ minLength: 1, maxLength: 2000 }),
      headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 2000 }))),
    }),
  ),
});

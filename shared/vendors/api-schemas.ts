import { z } from 'zod';
import { VENDOR_IDS } from './contract';

/** HTTP shapes of /api/v1/vendors (docs/design.md §8): what each vendor needs, never a value. */
export const vendorIdSchema = z.enum(VENDOR_IDS).meta({ id: 'VendorId' });

const fieldSpecSchema = z.object({
  name: z.string(),
  label: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
  hint: z.string(),
});

export const vendorSchema = z
  .object({
    id: vendorIdSchema,
    name: z.string(),
    credentialFields: z.array(fieldSpecSchema),
    configFields: z.array(fieldSpecSchema),
    capabilities: z.array(z.string()),
  })
  .meta({ id: 'Vendor' });

export const vendorListSchema = z
  .object({ items: z.array(vendorSchema), nextCursor: z.null() })
  .meta({ id: 'VendorList' });

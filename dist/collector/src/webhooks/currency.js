/**
 * Stripe's integer minor units to an amount. The exponent of each currency comes from ISO 4217
 * (the `currency-codes` package, kept from the ISO list), with the departures Stripe documents
 * (docs.stripe.com/currencies): ISK, zero-decimal in ISO 4217, is sent by Stripe as a two-decimal
 * amount whose decimals are always 00; MGA, two-decimal in ISO 4217, is zero-decimal at Stripe.
 * Stripe's other special cases (HUF, TWD: two decimals in the API, whole units on payouts; the
 * three-decimal currencies, whose last digit is 0) match ISO 4217 in the API's amounts.
 */
import { code as iso4217 } from 'currency-codes';
export const STRIPE_DEPARTURES = { ISK: 2, MGA: 0 };
/** How many decimals Stripe's minor units of `currency` have; undefined for a code ISO 4217 does not list. */
export function stripeExponent(currency) {
    const upper = currency.toUpperCase();
    const departure = STRIPE_DEPARTURES[upper];
    if (departure !== undefined)
        return departure;
    const digits = iso4217(upper)?.digits;
    return typeof digits === 'number' && Number.isInteger(digits) ? digits : undefined;
}
/** `amount_total: 1999, currency: "usd"` -> 19.99; `5000, "jpy"` -> 5000; `12340, "kwd"` -> 12.34. */
export function fromMinorUnits(amount, currency) {
    const exponent = stripeExponent(currency);
    if (exponent === undefined || !Number.isSafeInteger(amount))
        return undefined;
    // toFixed rounds away the binary noise of the division (1999 / 100 is 19.99, but 1 / 1000 * ... is not always).
    return Number((amount / 10 ** exponent).toFixed(exponent));
}

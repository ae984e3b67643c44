export const CURRENCY = 'USD';
export const PRODUCTS = [
    { slug: 'trail-jacket', name: 'Trail Jacket', price: 129, color: '#2f6f5e', blurb: 'Waterproof shell for wet ridgelines. Packs into its own pocket.' },
    { slug: 'summit-pack', name: 'Summit Pack 28L', price: 89, color: '#b4532a', blurb: 'A day pack with a hip belt that actually carries the load.' },
    { slug: 'merino-beanie', name: 'Merino Beanie', price: 29, color: '#44507a', blurb: 'Warm, itch-free, and small enough to live in every pocket.' },
];
export function findProduct(slug) {
    return PRODUCTS.find((p) => p.slug === slug);
}

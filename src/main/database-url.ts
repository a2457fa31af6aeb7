// The connection string handed to pg. pg 8 takes sslmode=prefer, require and verify-ca
// as verify-full (encrypted, and the server's certificate must be valid for its host
// name) and says so, and that pg 9 will change it, in a ten-line warning on every start.
// calsync hands pg verify-full itself, which is what pg does today and stays so after
// pg 9, and says it in one log line. uselibpqcompat=true asks pg for libpq's meanings
// instead and is passed on as it is.
const aliasOfVerifyFull = /([?&])sslmode=(prefer|require|verify-ca)(?=&|#|$)/;

export function driverConnectionString(url: string): { url: string; note?: string } {
  if (/[?&]uselibpqcompat=true(?=&|#|$)/.test(url)) return { url };
  const match = aliasOfVerifyFull.exec(url);
  if (!match) return { url };
  return {
    url: url.replace(match[0], `${match[1]}sslmode=verify-full`),
    note: `DATABASE_URL sslmode=${match[2]} is used as sslmode=verify-full: encrypted, and the server's certificate must be valid for its host name (add uselibpqcompat=true for libpq's meaning of ${match[2]})`,
  };
}

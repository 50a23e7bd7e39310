/*-------------------------------------------------------------------------
 *
 * src/secrets.c
 *		Secrets at rest (SPEC §10 "Secrets"): endpoint auth headers today,
 *		SMTP and IMAP passwords and webhook secrets later.
 *
 * A secret is stored as
 *
 *		version (1 byte, 1) | key id (4) | nonce (12) | ciphertext | tag (16)
 *
 * sealed with AES-256-GCM through OpenSSL's EVP interface (the library the
 * server itself links), a random nonce per secret.  The associated data is
 * the first 5 bytes, the owner's user_id (16 bytes) and a context string
 * naming what the secret is and which row holds it, so a ciphertext copied
 * into another row, or another user's row, does not decrypt.  The key id
 * (the start of a SHA-256 of the key) tells "encrypted with another key"
 * from "not for this row or altered".
 *
 * The key is 32 bytes in the file campaigns.secret_key_file names (32 raw
 * bytes, or 64 hex digits and an optional newline), relative to the data
 * directory unless absolute, a regular file owned by the server's OS user
 * that no one else may read or write.  When the file does not exist, the
 * postmaster creates it at start (with campaigns in
 * shared_preload_libraries), and so does the first backend that stores a
 * secret: 32 random bytes, mode 0600, written under a temporary name and
 * linked into place, so no process ever reads half a key.  An empty GUC
 * turns secret storage off: storing fails with a clear error.  Each
 * process reads the key once and again only when the file changes (its
 * inode, size or modification time).
 *
 * Errors name the problem (file missing, readable by others...) only in
 * the server log (errdetail_log): the client sees that the key is not
 * available.  No secret ever appears in an error or a log line.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/uuid.h"

#include "secrets.h"

PG_FUNCTION_INFO_V1(campaigns_secret_encrypt);

#define SECRET_VERSION 1
#define SECRET_KEY_LEN 32
#define SECRET_KEYID_LEN 4
#define SECRET_NONCE_LEN 12
#define SECRET_TAG_LEN 16
#define SECRET_HEADER_LEN (1 + SECRET_KEYID_LEN)
#define SECRET_OVERHEAD (SECRET_HEADER_LEN + SECRET_NONCE_LEN + SECRET_TAG_LEN)
/* Longest secret: far above any header or password. */
#define SECRET_MAX_LEN (64 * 1024)

char	   *campaigns_secret_key_file = NULL;

/* This process's copy of the key, and the file it came from. */
static bool key_loaded = false;
static uint8 key_bytes[SECRET_KEY_LEN];
static uint8 key_id[SECRET_KEYID_LEN];
static char key_path[MAXPGPATH];
static struct stat key_stat;

/* The last key problem the worker logged, so that it logs each one once. */
static char last_logged[256];

static int	HexValue(int c);

/*
 * KeyPath writes the key file's path (relative paths are in the data
 * directory) into out; false when the GUC is empty.
 */
static bool
KeyPath(char *out, size_t outlen)
{
	const char *f = campaigns_secret_key_file;

	if (f == NULL || f[0] == '\0')
		return false;
	if (is_absolute_path(f) || DataDir == NULL)
		snprintf(out, outlen, "%s", f);
	else
		snprintf(out, outlen, "%s/%s", DataDir, f);
	return true;
}

/*
 * KeyCreate makes a new key file at path: 32 random bytes, mode 0600,
 * under a temporary name first and then linked to path, which never
 * replaces a file another process created meanwhile.  Returns false with
 * the reason in err.
 */
static bool
KeyCreate(const char *path, char *err, size_t errlen)
{
	uint8		k[SECRET_KEY_LEN];
	char		tmp[MAXPGPATH + 32];
	int			fd;
	bool		ok;

	if (RAND_bytes(k, sizeof(k)) != 1)
	{
		snprintf(err, errlen, "could not generate a random key");
		return false;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0)
	{
		snprintf(err, errlen, "could not create secret key file \"%s\": %m", tmp);
		OPENSSL_cleanse(k, sizeof(k));
		return false;
	}
	ok = fchmod(fd, S_IRUSR | S_IWUSR) == 0 &&
		write(fd, k, sizeof(k)) == (ssize_t) sizeof(k) &&
		fsync(fd) == 0;
	if (!ok)
		snprintf(err, errlen, "could not write secret key file \"%s\": %m", tmp);
	OPENSSL_cleanse(k, sizeof(k));
	close(fd);
	if (ok && link(tmp, path) != 0 && errno != EEXIST)
	{
		snprintf(err, errlen, "could not create secret key file \"%s\": %m", path);
		ok = false;
	}
	unlink(tmp);
	if (ok)
		ereport(LOG,
				(errmsg("campaigns: created the secret key file \"%s\"", path),
				 errdetail("Secrets are encrypted with this key; back it up apart from the database.")));
	return ok;
}

/*
 * KeyLoad makes this process's copy of the key current: it reads the file
 * when it has not, or when the file changed.  With create, a missing file
 * is created first.  Returns false with the reason (for the server log:
 * it may name the path) in err.  Raises no error.
 */
static bool
KeyLoad(bool create, char *err, size_t errlen)
{
	char		path[MAXPGPATH];
	struct stat st;
	struct stat fst;
	uint8		buf[SECRET_KEY_LEN * 2 + 3];
	ssize_t		n;
	int			fd;
	uint8		k[SECRET_KEY_LEN];
	uint8		digest[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	EVP_MD_CTX *md;
	static const char id_label[] = "campaigns secret key id v1";

	if (!KeyPath(path, sizeof(path)))
	{
		snprintf(err, errlen, "campaigns.secret_key_file is empty: secret storage is off");
		return false;
	}
	if (stat(path, &st) != 0)
	{
		if (errno == ENOENT && create)
		{
			if (!KeyCreate(path, err, errlen))
				return false;
			if (stat(path, &st) != 0)
			{
				snprintf(err, errlen, "could not stat secret key file \"%s\": %m", path);
				return false;
			}
		}
		else if (errno == ENOENT)
		{
			snprintf(err, errlen, "secret key file \"%s\" does not exist", path);
			return false;
		}
		else
		{
			snprintf(err, errlen, "could not stat secret key file \"%s\": %m", path);
			return false;
		}
	}
	if (key_loaded && strcmp(path, key_path) == 0 &&
		st.st_dev == key_stat.st_dev && st.st_ino == key_stat.st_ino &&
		st.st_size == key_stat.st_size &&
		st.st_mtim.tv_sec == key_stat.st_mtim.tv_sec &&
		st.st_mtim.tv_nsec == key_stat.st_mtim.tv_nsec &&
		st.st_mode == key_stat.st_mode && st.st_uid == key_stat.st_uid)
		return true;

	key_loaded = false;
	if (!S_ISREG(st.st_mode))
	{
		snprintf(err, errlen, "secret key file \"%s\" is not a regular file", path);
		return false;
	}
	if (st.st_uid != geteuid())
	{
		snprintf(err, errlen, "secret key file \"%s\" is not owned by the server's user", path);
		return false;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
	{
		snprintf(err, errlen, "secret key file \"%s\" has mode %04o: other users may read or write it (chmod 600)",
				 path, (unsigned int) (st.st_mode & 07777));
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		snprintf(err, errlen, "could not open secret key file \"%s\": %m", path);
		return false;
	}
	if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino)
	{
		close(fd);
		snprintf(err, errlen, "secret key file \"%s\" changed while it was read", path);
		return false;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n == SECRET_KEY_LEN)
		memcpy(k, buf, SECRET_KEY_LEN);
	else if (n == 2 * SECRET_KEY_LEN ||
			 (n == 2 * SECRET_KEY_LEN + 1 && buf[2 * SECRET_KEY_LEN] == '\n'))
	{
		int			i;

		for (i = 0; i < SECRET_KEY_LEN; i++)
		{
			int			hi = HexValue(buf[2 * i]);
			int			lo = HexValue(buf[2 * i + 1]);

			if (hi < 0 || lo < 0)
			{
				OPENSSL_cleanse(buf, sizeof(buf));
				snprintf(err, errlen, "secret key file \"%s\" must hold 32 bytes or 64 hexadecimal digits", path);
				return false;
			}
			k[i] = (uint8) (hi << 4 | lo);
		}
	}
	else
	{
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errlen, "secret key file \"%s\" must hold 32 bytes or 64 hexadecimal digits", path);
		return false;
	}
	OPENSSL_cleanse(buf, sizeof(buf));

	md = EVP_MD_CTX_new();
	if (md == NULL ||
		EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		EVP_DigestUpdate(md, id_label, sizeof(id_label) - 1) != 1 ||
		EVP_DigestUpdate(md, k, sizeof(k)) != 1 ||
		EVP_DigestFinal_ex(md, digest, &dlen) != 1)
	{
		EVP_MD_CTX_free(md);
		OPENSSL_cleanse(k, sizeof(k));
		snprintf(err, errlen, "could not compute the key id");
		return false;
	}
	EVP_MD_CTX_free(md);
	memcpy(key_bytes, k, SECRET_KEY_LEN);
	OPENSSL_cleanse(k, sizeof(k));
	memcpy(key_id, digest, SECRET_KEYID_LEN);
	snprintf(key_path, sizeof(key_path), "%s", path);
	key_stat = st;
	key_loaded = true;
	return true;
}

/*
 * HexValue is one hex digit's value, or -1.
 */
static int
HexValue(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * SecretsInit defines campaigns.secret_key_file; in the postmaster (the
 * library preloaded) it also creates a missing key file and checks it, so
 * that an operator sees a problem in the log at start rather than at the
 * first secret stored.
 */
void
SecretsInit(void)
{
	DefineCustomStringVariable("campaigns.secret_key_file",
							   "File holding the key that encrypts stored secrets (endpoint auth headers...).",
							   "32 bytes, or 64 hexadecimal digits; relative to the data directory unless absolute; "
							   "readable only by the server's OS user.  Created with a random key when missing.  "
							   "Empty: secrets cannot be stored.",
							   &campaigns_secret_key_file,
							   "campaigns_secret.key",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress && !IsUnderPostmaster &&
		campaigns_secret_key_file && campaigns_secret_key_file[0] != '\0')
	{
		char		err[MAXPGPATH + 128];

		if (!KeyLoad(true, err, sizeof(err)))
			ereport(WARNING,
					(errmsg("campaigns: the secret key is not usable: %s", err),
					 errhint("Stored secrets cannot be used until campaigns.secret_key_file names a usable key file.")));
	}
}

/*
 * Aad writes the associated data of a secret: its 5-byte header, the
 * owner and the context.  Returns its length.
 */
static size_t
Aad(uint8 *out, const uint8 *header, const pg_uuid_t *owner, const char *context, size_t context_len)
{
	memcpy(out, header, SECRET_HEADER_LEN);
	memcpy(out + SECRET_HEADER_LEN, owner->data, UUID_LEN);
	memcpy(out + SECRET_HEADER_LEN + UUID_LEN, context, context_len);
	return SECRET_HEADER_LEN + UUID_LEN + context_len;
}

/*
 * SecretEncrypt: see secrets.h.
 */
bytea *
SecretEncrypt(const char *plain, size_t len, const pg_uuid_t *owner, const char *context)
{
	char		err[MAXPGPATH + 128];
	size_t		context_len = strlen(context);
	bytea	   *result;
	uint8	   *out;
	uint8	   *aad;
	size_t		aad_len;
	EVP_CIPHER_CTX *ctx;
	int			n;
	int			total = 0;
	bool		ok;

	if (len > SECRET_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a secret may have at most %d bytes", SECRET_MAX_LEN)));
	if (!KeyLoad(true, err, sizeof(err)))
	{
		if (campaigns_secret_key_file == NULL || campaigns_secret_key_file[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("secrets cannot be stored: no secret key is configured"),
					 errhint("An administrator must set campaigns.secret_key_file (see docs/outbound.md).")));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("secrets cannot be stored: the server's secret key is not available"),
				 errdetail_log("%s", err),
				 errhint("An administrator must fix the file campaigns.secret_key_file names (see the server log).")));
	}

	result = palloc(VARHDRSZ + SECRET_OVERHEAD + len);
	SET_VARSIZE(result, VARHDRSZ + SECRET_OVERHEAD + len);
	out = (uint8 *) VARDATA(result);
	out[0] = SECRET_VERSION;
	memcpy(out + 1, key_id, SECRET_KEYID_LEN);
	if (RAND_bytes(out + SECRET_HEADER_LEN, SECRET_NONCE_LEN) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce")));
	aad = palloc(SECRET_HEADER_LEN + UUID_LEN + context_len);
	aad_len = Aad(aad, out, owner, context, context_len);

	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRET_NONCE_LEN, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, key_bytes, out + SECRET_HEADER_LEN) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1 &&
		EVP_EncryptUpdate(ctx, out + SECRET_HEADER_LEN + SECRET_NONCE_LEN, &n,
						  (const uint8 *) plain, (int) len) == 1;
	if (ok)
	{
		total = n;
		ok = EVP_EncryptFinal_ex(ctx, out + SECRET_HEADER_LEN + SECRET_NONCE_LEN + total, &n) == 1 &&
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG_LEN,
								out + SECRET_HEADER_LEN + SECRET_NONCE_LEN + len) == 1;
		total += n;
	}
	EVP_CIPHER_CTX_free(ctx);
	pfree(aad);
	if (!ok || total != (int) len)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not encrypt a secret")));
	return result;
}

/*
 * SecretDecrypt: see secrets.h.
 */
char *
SecretDecrypt(const bytea *ciphertext, const pg_uuid_t *owner, const char *context,
			  const char **why, bool *key_unavailable)
{
	char		err[MAXPGPATH + 128];
	const uint8 *in = (const uint8 *) VARDATA_ANY(ciphertext);
	size_t		in_len = VARSIZE_ANY_EXHDR(ciphertext);
	size_t		len;
	size_t		context_len = strlen(context);
	uint8	   *aad;
	size_t		aad_len;
	char	   *plain;
	EVP_CIPHER_CTX *ctx;
	int			n;
	bool		ok;

	*key_unavailable = false;
	if (in_len < SECRET_OVERHEAD || in[0] != SECRET_VERSION)
	{
		*why = "the stored secret is not in a known format";
		return NULL;
	}
	if (!KeyLoad(false, err, sizeof(err)))
	{
		/* Each new problem once in the log (the worker would repeat it). */
		if (strncmp(err, last_logged, sizeof(last_logged) - 1) != 0)
		{
			ereport(WARNING,
					(errmsg("campaigns: stored secrets cannot be decrypted: %s", err)));
			snprintf(last_logged, sizeof(last_logged), "%s", err);
		}
		*key_unavailable = true;
		*why = "the server's secret key is not available (see the server log)";
		return NULL;
	}
	last_logged[0] = '\0';
	if (memcmp(in + 1, key_id, SECRET_KEYID_LEN) != 0)
	{
		*why = "the stored secret was encrypted with another key; store it again";
		return NULL;
	}
	len = in_len - SECRET_OVERHEAD;
	aad = palloc(SECRET_HEADER_LEN + UUID_LEN + context_len);
	aad_len = Aad(aad, in, owner, context, context_len);
	plain = palloc(len + 1);

	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRET_NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, key_bytes, in + SECRET_HEADER_LEN) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1 &&
		EVP_DecryptUpdate(ctx, (uint8 *) plain, &n, in + SECRET_HEADER_LEN + SECRET_NONCE_LEN, (int) len) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG_LEN,
							(void *) (in + SECRET_HEADER_LEN + SECRET_NONCE_LEN + len)) == 1;
	if (ok)
	{
		int			n2;

		ok = EVP_DecryptFinal_ex(ctx, (uint8 *) plain + n, &n2) == 1;
	}
	EVP_CIPHER_CTX_free(ctx);
	pfree(aad);
	if (!ok)
	{
		explicit_bzero(plain, len + 1);
		pfree(plain);
		*why = "the stored secret does not decrypt (it was not stored for this row, or was altered); store it again";
		return NULL;
	}
	plain[len] = '\0';
	if (strlen(plain) != len)
	{
		explicit_bzero(plain, len + 1);
		pfree(plain);
		*why = "the stored secret holds a NUL byte";
		return NULL;
	}
	*why = NULL;
	return plain;
}

/*
 * campaigns_secret_encrypt: SQL campaigns._secret_encrypt(plaintext, owner,
 * context), the ciphertext to store (owner only; there is no SQL function
 * that decrypts).
 */
Datum
campaigns_secret_encrypt(PG_FUNCTION_ARGS)
{
	text	   *plain = PG_GETARG_TEXT_PP(0);
	pg_uuid_t  *owner = PG_GETARG_UUID_P(1);
	char	   *context = text_to_cstring(PG_GETARG_TEXT_PP(2));
	bytea	   *result;

	result = SecretEncrypt(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain), owner, context);
	PG_RETURN_BYTEA_P(result);
}
